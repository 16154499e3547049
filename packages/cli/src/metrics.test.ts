import { describe, expect, it } from "vitest";
import { mergeMetrics, sampleLine } from "./metrics.ts";

const worker = (received: number, depth: number) =>
  [
    "# HELP mailroom_messages_received_total Messages received.",
    "# TYPE mailroom_messages_received_total counter",
    `mailroom_messages_received_total{app="w"} ${received}`,
    "# HELP mailroom_queue_depth Messages in the queue.",
    "# TYPE mailroom_queue_depth gauge",
    `mailroom_queue_depth{queue="q",state="ready",app="w"} ${depth}`,
    `mailroom_queue_depth{queue="q",state="in_flight",app="w"} 1`,
  ].join("\n");

describe("mergeMetrics", () => {
  it("labels every sample with its source and keeps one HELP / TYPE header per family", () => {
    const text = mergeMetrics([
      { labels: { worker: "0" }, text: worker(3, 7) },
      { labels: { worker: "1" }, text: worker(5, 7) },
    ]);
    expect(text.match(/^# TYPE mailroom_messages_received_total counter$/gm)).toHaveLength(1);
    expect(text).toContain('mailroom_messages_received_total{worker="0",app="w"} 3');
    expect(text).toContain('mailroom_messages_received_total{worker="1",app="w"} 5');
    expect(text).toContain('mailroom_queue_depth{worker="1",queue="q",state="ready",app="w"} 7');
  });

  it("keeps a shared family's samples from the first source that has them, without the source's labels", () => {
    const text = mergeMetrics(
      [
        { labels: { worker: "0" }, text: worker(3, 0).split("\n").slice(0, 3).join("\n") },
        { labels: { worker: "1" }, text: worker(5, 7) },
        { labels: { worker: "2" }, text: worker(1, 8) },
      ],
      { once: ["mailroom_queue_depth"] },
    );
    const depth = text.split("\n").filter((l) => l.startsWith("mailroom_queue_depth"));
    expect(depth).toEqual([
      'mailroom_queue_depth{queue="q",state="ready",app="w"} 7',
      'mailroom_queue_depth{queue="q",state="in_flight",app="w"} 1',
    ]);
    expect(text.match(/^# TYPE mailroom_queue_depth gauge$/gm)).toHaveLength(1);
    expect(text).toContain('mailroom_messages_received_total{worker="2",app="w"} 1');
  });
});

describe("sampleLine", () => {
  it("reads label values holding } and escaped quotes, as the dashboard's rates and the merge both need", () => {
    expect(sampleLine('mailroom_messages_received_total{name="a}b",app="x\\"y"} 3 1700000000')).toEqual({
      name: "mailroom_messages_received_total",
      labels: 'name="a}b",app="x\\"y"',
      rest: " 3 1700000000",
    });
    expect(sampleLine("mailroom_receive_errors_total 0")).toEqual({
      name: "mailroom_receive_errors_total",
      labels: "",
      rest: " 0",
    });
    expect(mergeMetrics([{ labels: { worker: "0" }, text: 'm_total{name="a}b"} 1\n' }])).toBe(
      'm_total{worker="0",name="a}b"} 1\n',
    );
  });
});
