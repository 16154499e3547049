import type { App } from "../app.ts";
import type { DecodeFailure, Envelope } from "../envelope.ts";
import type { DispatchedInvocation, SettledMessage } from "../middleware/middleware.ts";
import type { Outcome } from "./outcome.ts";

/** True when some app middleware wants `settled` (runtimes then keep receive times). */
export function observesSettled(app: App): boolean {
  for (const m of app.middleware) if (m.settled) return true;
  return false;
}

/**
 * Tell the app's middleware with a `settled` hook that a delivery was settled. Shared by the
 * Worker and push dispatch; costs a loop over the app's middleware when none listens. Never throws.
 */
export function tellSettled(
  app: App,
  envelope: Envelope | DecodeFailure,
  outcome: Outcome,
  receivedAt: number,
  startedAt: number,
): void {
  if (!observesSettled(app)) return;
  tellSettledMessage(app, { envelope, outcome, receivedAt, startedAt, finishedAt: Date.now() });
}

/** `tellSettled` with the message already built (push dispatch also keeps it for `dispatched`). Never throws. */
export function tellSettledMessage(app: App, message: SettledMessage): void {
  for (const m of app.middleware) {
    if (!m.settled) continue;
    try {
      m.settled(message);
    } catch {
      // An observer must never change what happened to a message.
    }
  }
}

/** True when some app middleware wants `dispatched` (push dispatch then collects its messages). */
export function observesDispatched(app: App): boolean {
  for (const m of app.middleware) if (m.dispatched) return true;
  return false;
}

/** Tell the app's middleware with a `dispatched` hook that a push invocation is done. Never throws. */
export function tellDispatched(app: App, invocation: DispatchedInvocation): void {
  for (const m of app.middleware) {
    if (!m.dispatched) continue;
    try {
      m.dispatched(invocation);
    } catch {
      // An observer must never change what happened to a message.
    }
  }
}
