/**
 * `work`, or, when it has not settled within `ms`, a rejection with `late()` — the timer is
 * cleared either way, and a rejection of `work` that comes after the limit is handled (never an
 * unhandled rejection). Callers that only want to wait at most `ms` add `.catch(() => {})`.
 */
export async function within<T>(ms: number, work: Promise<T>, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  try {
    // Promise.race subscribes to `work`, so its late rejection is handled.
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}
