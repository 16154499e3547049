/** Longest DelaySeconds SQS accepts on send, ms. */
export const MAX_SEND_DELAY_MS = 900_000;
/** Longest a received message may stay invisible, counted from its receipt, ms. */
export const MAX_VISIBILITY_MS = 43_200_000;
/** Margin kept under the 12-hour visibility ceiling, ms. */
export const CEILING_MARGIN_MS = 60_000;

/** Whole seconds SQS understands, rounding up so a message never comes back early. */
export function seconds(ms: number): number {
  return Math.max(0, Math.min(43_200, Math.ceil(ms / 1000)));
}

/** How long a message received at `receivedAt` may still be kept invisible, ms. */
export function visibilityRoom(receivedAt: number, now = Date.now()): number {
  return MAX_VISIBILITY_MS - (now - receivedAt) - CEILING_MARGIN_MS;
}
