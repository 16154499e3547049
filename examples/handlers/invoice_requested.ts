import { defineHandler } from "@mailroom/core";

/** What order_created asks for. */
export interface InvoiceRequested {
  orderId: string;
  customer: string;
  amount: number;
}

/** Logs the invoice request and acks: the end of the order_created chain. */
export default defineHandler("invoice_requested", {}, async (data, ctx) => {
  const invoice = data as InvoiceRequested;
  ctx.logger.info({ order: invoice.orderId, amount: invoice.amount }, "invoice requested");
});
