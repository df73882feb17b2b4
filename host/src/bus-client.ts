import { Kafka, logLevel, type RetryOptions } from "kafkajs";

/**
 * How long a service's Kafka client keeps retrying a request before it gives up: about a
 * minute, at most 2 s between tries. kafkajs' default gives up after about 9 s, less than one
 * broker's restart takes or a cluster's failover after a node dies (the controller fences it
 * after its 9 s session timeout, then elects new leaders): a step then failed, or a consumer
 * crashed for good, over a fault the cluster recovered from. Tries at most 2 s apart find the
 * new leader within 2 s of the failover (doubling to 10 s, a producer measured 30 s of stall
 * for a 13 s failover).
 */
export const busRetry: RetryOptions = {
  initialRetryTime: 300,
  maxRetryTime: 2_000,
  retries: 30,
};

/** The kafkajs client a service (or the gateway) talks to the bus with. */
export function busClient(clientId: string, brokers: string[]): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.WARN, retry: busRetry });
}
