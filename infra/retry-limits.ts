import { type App, receiveLimit } from "@mailroom/core";

/** The retry limits of an app's handlers that the infrastructure around them must stay above. */
export interface RetryLimits {
  /** The largest `maxAttempts` of any handler (or of the app, for handlers that set none). */
  maxAttempts: number;
  /** The largest receive limit (`retry.maxReceives`, default 10 × maxAttempts, at least 100). */
  maxReceives: number;
}

/** SQS allows a RedrivePolicy maxReceiveCount of at most 1,000. */
export const SQS_MAX_RECEIVE_COUNT = 1000;

/** The largest limits over every handler of `app`, each handler's policy resolved over the app's. */
export function retryLimitsOf(app: App): RetryLimits {
  const policies = [app.retry, ...app.handlerNames().map((name) => app.lookup(name)!.retry)];
  return {
    maxAttempts: Math.max(...policies.map((p) => p.maxAttempts)),
    maxReceives: Math.max(...policies.map((p) => receiveLimit(p))),
  };
}

/**
 * The broker's own dead-letter limit (SQS RedrivePolicy `maxReceiveCount`, MNS DlqPolicy
 * `MaxReceiveCount`): the safety net for what Mailroom never settled (a crash, a function
 * timeout), so it must sit above what Mailroom allows, or the broker moves messages first,
 * without a reason. Standard queues count only runs (returns that are not runs are re-sent
 * copies with a fresh count): `maxAttempts + 5`. FIFO queues count every receive (deferrals,
 * group mates given back): the receive limit + 10, at most SQS's 1,000.
 *
 * @example
 * brokerMaxReceiveCount(retryLimitsOf(app), { fifo: false }); // 10 for the default 5 attempts
 */
export function brokerMaxReceiveCount(limits: RetryLimits, options: { fifo: boolean }): number {
  return options.fifo
    ? Math.min(SQS_MAX_RECEIVE_COUNT, limits.maxReceives + 10)
    : Math.min(SQS_MAX_RECEIVE_COUNT, limits.maxAttempts + 5);
}
