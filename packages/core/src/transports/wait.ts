/**
 * Wait until `wake` is called, `ms` pass, or `signal` aborts — whichever is first. Used by the
 * local transports' long polls.
 */
export function waitFor(
  ms: number,
  signal: AbortSignal,
  subscribe: (wake: () => void) => () => void,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    let unsubscribe = () => {};
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    unsubscribe = subscribe(done);
  });
}
