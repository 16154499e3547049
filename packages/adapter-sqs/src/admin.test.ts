import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { SqsAdmin } from "./admin.ts";
import { SqsQueue } from "./queue.ts";

const base = "https://sqs.us-east-1.amazonaws.com/123456789012";

/** fauxqs has no StartMessageMoveTask, so this path is driven by an SQS client stand-in. */
function moveTaskClient(progress: Array<{ Status: string; moved: number; toMove: number }>) {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const client = {
    async send(command: { input: Record<string, unknown> }) {
      calls.push({ name: command.constructor.name, input: command.input });
      if (command instanceof GetQueueAttributesCommand) {
        const url = command.input.QueueUrl as string;
        return { Attributes: { QueueArn: `arn:aws:sqs:us-east-1:123456789012:${url.split("/").at(-1)}` } };
      }
      if (command instanceof StartMessageMoveTaskCommand) return { TaskHandle: "task-1" };
      if (command instanceof ListMessageMoveTasksCommand) {
        const p = progress.shift()!;
        return {
          Results: [
            {
              Status: p.Status,
              ApproximateNumberOfMessagesMoved: p.moved,
              ApproximateNumberOfMessagesToMove: p.toMove,
            },
          ],
        };
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  return { client: client as unknown as SQSClient, calls };
}

describe("SqsAdmin redrive through StartMessageMoveTask", () => {
  it("starts a move from the DLQ to the queue and reports the task's progress until it completes", async () => {
    const { client, calls } = moveTaskClient([
      { Status: "RUNNING", moved: 40, toMove: 100 },
      { Status: "COMPLETED", moved: 100, toMove: 100 },
    ]);
    const queue = new SqsQueue(client, `${base}/orders`);
    queue.knownDeadLetterQueue({ url: `${base}/orders-dlq`, name: "orders-dlq", fifo: false });
    const progress: Array<[number, number]> = [];
    const moved = await new SqsAdmin(queue, { movePollMs: 1 }).redrive({
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(moved).toBe(100);
    expect(progress).toEqual([
      [40, 100],
      [100, 100],
    ]);
    expect(calls.find((c) => c.name === StartMessageMoveTaskCommand.name)?.input).toEqual({
      SourceArn: "arn:aws:sqs:us-east-1:123456789012:orders-dlq",
      DestinationArn: "arn:aws:sqs:us-east-1:123456789012:orders",
    });
  });
});
