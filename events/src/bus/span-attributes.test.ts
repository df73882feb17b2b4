import { describe, expect, it } from "vitest";
import {
  CheckpointCreated,
  FenceCut,
  MigrationRequested,
  ShadowCaughtUp,
} from "../catalog/index.ts";
import { sampleData } from "../testing/samples.ts";
import { migrationSpanAttributes } from "./span-attributes.ts";

const data = sampleData("m-attrs");

describe("a migration step's span attributes", () => {
  it("name the migration, workload, round, both instances and nodes of the handoff", () => {
    expect(migrationSpanAttributes(data[CheckpointCreated.type])).toMatchObject({
      "shadow.migration.id": "m-attrs",
      "shadow.workload": "orders",
      "shadow.strategy": "shadow",
      "shadow.round": 1,
      "shadow.instance.from": "orders-0",
      "shadow.node.from": "node-a",
      "shadow.instance.to": "orders-0-shadow",
      "shadow.node.to": "node-b",
      "shadow.offsets.at_dump": ["orders.in/0@41", "orders.in/1@-1"],
    });
  });

  it("read a request's source and target node, which come before any handoff", () => {
    const attributes = migrationSpanAttributes(data[MigrationRequested.type]);
    expect(attributes).toMatchObject({
      "shadow.instance.from": "orders-0",
      "shadow.node.from": "node-a",
      "shadow.node.to": "node-b",
    });
    expect(attributes).not.toHaveProperty("shadow.round");
  });

  it("carry the fence's cut, and both sides' offsets when the shadow caught up", () => {
    expect(migrationSpanAttributes(data[FenceCut.type])["shadow.offsets.cut"]).toEqual([
      "orders.in/0@41",
      "orders.in/1@-1",
    ]);
    expect(migrationSpanAttributes(data[ShadowCaughtUp.type])).toMatchObject({
      "shadow.offsets.source": ["orders.in/0@41", "orders.in/1@-1"],
      "shadow.offsets.shadow": ["orders.in/0@38"],
    });
  });

  it("are empty for data that is no migration's (a node's pressure) or no object at all", () => {
    expect(migrationSpanAttributes(null)).toEqual({});
    expect(migrationSpanAttributes({ node: "node-a", kind: "memory" })).toEqual({});
  });
});
