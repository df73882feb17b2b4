export { asConsumed } from "./kafka-message.ts";
export { sampleData } from "./samples.ts";
