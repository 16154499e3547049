import { defineHandler, PermanentError } from "@mailroom/core";
import { z } from "zod";

const FraudCheck = z.object({ orderId: z.string(), score: z.number().min(0).max(1) });

/**
 * Rejects risky orders for good: a `PermanentError` dead-letters the message at once, with its
 * message as the reason — retrying would not change the score. `mailroom dlq list` shows it.
 */
export default defineHandler("fraud_check", { schema: FraudCheck }, async (check, ctx) => {
  if (check.score > 0.9) {
    throw new PermanentError(`fraud score ${check.score} is over 0.9 for order ${check.orderId}`);
  }
  ctx.logger.info({ order: check.orderId, score: check.score }, "fraud check passed");
});
