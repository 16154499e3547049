import { type App, Worker, type WorkerOptions } from "@mailroom/core";
import type { AmqpTransportOptions } from "./options.ts";
import { AmqpTransport } from "./transport.ts";

/** Options of `listen`: the transport's, plus the Worker's. */
export interface ListenOptions extends AmqpTransportOptions {
  worker?: Omit<WorkerOptions, "publisher">;
}

/**
 * One call to serve an app from RabbitMQ, like `listen(queue, exchange, handler, deadExchange,
 * retryTimes)` in the tools users have now: declares the exchange, the queue bound by every
 * handler's name (unless `bindings` is given), the retry and dead-letter queues, and starts a
 * Worker. Retry limits come from the handlers' `retry.maxAttempts`.
 *
 * @example
 * const { worker, transport } = await listen(app, "amqp://guest:guest@127.0.0.1:5672", {
 *   queue: "orders", exchange: "events", deadLetterExchange: "events.dead",
 * });
 * process.on("SIGTERM", async () => { await worker.stop(); await transport.close(); });
 */
export async function listen(
  app: App,
  url: string | URL,
  options: ListenOptions = {},
): Promise<{ worker: Worker; transport: AmqpTransport }> {
  const { worker: workerOptions, ...transportOptions } = options;
  const transport = new AmqpTransport(url, {
    logger: app.logger,
    ...transportOptions,
    bindings: transportOptions.bindings ?? app.names(),
  });
  await transport.connect();
  const worker = new Worker(app, transport.source(), { ...workerOptions, publisher: transport.publisher() });
  void worker.start();
  return { worker, transport };
}
