import { defineHandler } from "@mailroom/core";
import { z } from "zod";

/** An order as the shop publishes it. A message that does not match is dead-lettered with the issues. */
export const OrderCreated = z.object({
  id: z.string(),
  customer: z.string(),
  total: z.number().positive(),
});

/** Validates the order with zod and asks for its invoice: a follow-up message in the same conversation. */
export default defineHandler("order_created", { schema: OrderCreated }, async (order, ctx) => {
  ctx.logger.info({ order: order.id }, "order received");
  await ctx.forward("invoice_requested", {
    orderId: order.id,
    customer: order.customer,
    amount: order.total,
  });
});
