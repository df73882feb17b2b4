import { z } from "zod";

/** One migration scenario: what runs, under what load, and how it is moved. */
export const scenarioOptions = z.object({
  workload: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/)
    .default("orders-0"),
  sourceNode: z.string().default("node-a"),
  targetNode: z.string().default("node-b"),
  strategy: z.enum(["shadow", "sequential"]).default("shadow"),
  identitySwap: z.boolean().default(true),
  /** How the image reaches the target; absent: the runtime's default (the registry). */
  imageTransfer: z.enum(["stream", "registry", "node-to-node"]).optional(),
  /** Input messages per second (the paper: 10 to 120). */
  rate: z.number().int().min(10).max(10_000).default(60),
  partitions: z.number().int().min(1).max(64).default(4),
  /** Processing cost per message (the paper: 10 ms). */
  costMs: z.number().min(0).default(10),
  ballastMb: z.number().int().min(0).max(1024).default(0),
  /** Load before the migration starts: the steady state the verifier compares against. */
  warmupMs: z.number().int().min(0).default(5_000),
  /** Load after the migration ended. */
  cooldownMs: z.number().int().min(0).default(3_000),
  /** A migration that takes longer fails the scenario. */
  migrationTimeoutMs: z.number().int().positive().default(180_000),
  /** Every n-th input is invalid (tests the dead-letter path); 0: none. */
  badEvery: z.number().int().min(0).default(0),
  /**
   * Leave the run's input, output and dead-letter topics on the broker to inspect them. By
   * default they are deleted once verified: a bench creates three per run and a broker holding
   * thousands of them does slower metadata work for every client.
   */
  keepTopics: z.boolean().default(false),
});

export type ScenarioOptions = z.input<typeof scenarioOptions>;
export type ResolvedScenarioOptions = z.output<typeof scenarioOptions>;
