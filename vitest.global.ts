import { rmSync } from "node:fs";
import { BROKER_LOCK } from "./packages/adapter-amqp/test/broker-lock.ts";

/** After every test file: remove what the run left in the temp folder for coordination only. */
export default function setup(): () => void {
  return () => rmSync(BROKER_LOCK, { force: true });
}
