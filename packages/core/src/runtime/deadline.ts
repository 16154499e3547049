import { TimeoutError } from "../errors.ts";

/**
 * One handler run's time limit: a signal aborted when the runtime's signal aborts (shutdown,
 * function timeout) or when `ms` pass, and `race` that rejects with `TimeoutError` at the limit.
 * `dispose` removes the listener on the runtime's signal and the timer: that signal lives as
 * long as the Worker (or the warm function container), so nothing may stay attached to it.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  race<T>(work: T | Promise<T>): Promise<T>;
  dispose(): void;
}

/** A deadline of `ms` under `parent`. */
export function deadline(parent: AbortSignal, ms: number): Deadline {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener("abort", onParentAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let rejectTimeout: ((error: unknown) => void) | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    rejectTimeout = reject;
  });
  // Nobody may be listening when the limit passes after the work finished.
  timedOut.catch(() => {});
  timer = setTimeout(() => {
    const error = new TimeoutError(ms);
    controller.abort(error);
    rejectTimeout?.(error);
  }, ms);
  return {
    signal: controller.signal,
    race<T>(work: T | Promise<T>): Promise<T> {
      // Promise.race subscribes to `work`, so its late rejection (after a timeout) is handled.
      return Promise.race([Promise.resolve(work), timedOut]);
    },
    dispose() {
      clearTimeout(timer);
      timer = undefined;
      parent.removeEventListener("abort", onParentAbort);
    },
  };
}
