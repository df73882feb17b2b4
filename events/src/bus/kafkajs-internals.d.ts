// The two kafkajs 2.2.4 classes kafkajs-coordinator.ts mends; kafkajs ships no types for them.
declare module "kafkajs/src/consumer/consumerGroup.js" {
  const ConsumerGroup: { prototype: Record<string, unknown> };
  export default ConsumerGroup;
}
declare module "kafkajs/src/consumer/offsetManager/index.js" {
  const OffsetManager: { prototype: Record<string, unknown> };
  export default OffsetManager;
}
