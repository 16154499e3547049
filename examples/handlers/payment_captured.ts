import { defineHandler } from "@mailroom/core";

/** A captured payment. `flaky: true` makes the first attempt fail, as a gateway timeout would. */
export interface PaymentCaptured {
  orderId: string;
  amount: number;
  flaky?: boolean;
}

/**
 * Fails transiently: throws on its first attempt when `data.flaky` is true, so the message is
 * retried (after up to 200 ms) and succeeds on attempt 2. Retries are short so the demo is quick.
 */
export default defineHandler(
  "payment_captured",
  { retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 1000 } },
  async (data, ctx) => {
    const payment = data as PaymentCaptured;
    if (payment.flaky && ctx.attempt === 1) {
      throw new Error(`payment gateway timed out for order ${payment.orderId}`);
    }
    ctx.logger.info({ order: payment.orderId, attempt: ctx.attempt }, "payment recorded");
  },
);
