import { amqpTarget } from "./amqp.ts";
import { azureTarget } from "./azure.ts";
import { memoryTarget } from "./memory.ts";
import { mnsTarget } from "./mns.ts";
import { redisTarget } from "./redis.ts";
import { sqliteTarget } from "./sqlite.ts";
import { sqsTarget } from "./sqs.ts";
import type { ChaosTarget } from "./target.ts";

/** Every transport the chaos run strikes, in the order the table shows them. */
export const targets: readonly ChaosTarget[] = [
  sqliteTarget,
  memoryTarget,
  amqpTarget,
  sqsTarget,
  mnsTarget,
  redisTarget,
  azureTarget,
];

export type { ChaosTarget } from "./target.ts";
