// What a run started must not outlive it: worker processes, emulators, a private RabbitMQ node,
// temp folders. Each registers a synchronous, best-effort clean-up here; `npm run chaos` runs
// them all when interrupted (Ctrl-C, SIGTERM) before it exits.
const cleanups = new Set<() => void>();

/** Register `cleanup` for an interrupted run; returns the function that unregisters it. */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** On SIGINT / SIGTERM: run every registered clean-up, then exit (130 / 143). For the command only. */
export function cleanUpOnInterrupt(): void {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`chaos: ${signal}: stopping what the run started\n`);
      // Last registered first: workers and brokers go before the folders they write in.
      for (const cleanup of [...cleanups].reverse()) {
        try {
          cleanup();
        } catch {
          // Best effort: the next clean-up still runs.
        }
      }
      process.exit(code);
    });
  }
}
