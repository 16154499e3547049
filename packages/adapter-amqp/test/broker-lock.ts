import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The file flock(1) holds for the RabbitMQ broker lock: shared by test files and the AMQP
 * benchmark, exclusive for tests that restart the broker. The test run's global teardown removes
 * it once every file is done.
 */
export const BROKER_LOCK = join(tmpdir(), "mailroom-amqp-broker.lock");
