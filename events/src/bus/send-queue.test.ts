import { ROOT_CONTEXT } from "@opentelemetry/api";
import type { TopicMessages } from "kafkajs";
import { describe, expect, it } from "vitest";
import { sendQueue } from "./send-queue.ts";

const one = (topic: string, value: string): TopicMessages[] => [
  { topic, messages: [{ key: "k", value }] },
];

/** A producer whose requests the test answers one by one; records what each request held. */
function fakeProducer() {
  const requests: string[][] = [];
  const answers: ((error?: Error) => void)[] = [];
  return {
    requests,
    answer: (error?: Error) => answers.shift()?.(error),
    produce: (topicMessages: TopicMessages[]) =>
      new Promise<void>((resolve, reject) => {
        requests.push(topicMessages.flatMap((t) => t.messages.map((m) => `${t.topic}:${m.value}`)));
        answers.push((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("the publisher's send queue", () => {
  it("sends what arrives while a request is out together in the next one, in order", async () => {
    const p = fakeProducer();
    const send = sendQueue(p.produce);
    const first = send(one("a", "1"), ROOT_CONTEXT);
    await tick();
    const rest = [
      send(one("a", "2"), ROOT_CONTEXT),
      send(one("b", "3"), ROOT_CONTEXT),
      send(one("a", "4"), ROOT_CONTEXT),
    ];
    p.answer();
    await first;
    await tick();
    expect(p.requests).toEqual([["a:1"], ["a:2", "a:4", "b:3"]]);
    p.answer();
    await Promise.all(rest);
  });

  it("fails every send of a request that failed, and goes on with the next", async () => {
    const p = fakeProducer();
    const send = sendQueue(p.produce);
    const first = send(one("a", "1"), ROOT_CONTEXT);
    await tick();
    const second = send(one("a", "2"), ROOT_CONTEXT);
    const third = send(one("a", "3"), ROOT_CONTEXT);
    p.answer();
    await first;
    await tick();
    p.answer(new Error("not enough replicas"));
    await expect(second).rejects.toThrow("not enough replicas");
    await expect(third).rejects.toThrow("not enough replicas");
    const fourth = send(one("a", "4"), ROOT_CONTEXT);
    await tick();
    p.answer();
    await fourth;
    expect(p.requests.at(-1)).toEqual(["a:4"]);
  });

  it("keeps each request within its size bound", async () => {
    const p = fakeProducer();
    const send = sendQueue(p.produce);
    const first = send(one("a", "first"), ROOT_CONTEXT);
    await tick();
    const many = Array.from({ length: 700 }, (_, i) => send(one("a", String(i)), ROOT_CONTEXT));
    p.answer();
    await first;
    await tick();
    p.answer();
    await tick();
    await tick();
    p.answer();
    await Promise.all(many);
    expect(p.requests.map((r) => r.length)).toEqual([1, 500, 200]);
  });
});
