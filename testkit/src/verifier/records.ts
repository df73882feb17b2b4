/** One record as the verifier reads it back from a topic. */
export interface TopicRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Record timestamp, ms since epoch: for an output, when it was produced. */
  timestamp: number;
}

/** Everything one run left on its topics. */
export interface RunRecords {
  inputs: TopicRecord[];
  outputs: TopicRecord[];
  deadLetters: TopicRecord[];
}

/** The migration window, in input send time (ms since epoch). */
export interface MigrationWindow {
  start: number;
  end: number;
}
