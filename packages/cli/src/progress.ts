import { SingleBar } from "cli-progress";
import type { Output } from "./output.ts";

/** Reports progress of a long operation: updated with (done, total), then finished. */
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

/** How often the plain (non-terminal) reporter prints a line, ms. */
const PLAIN_EVERY_MS = 1_000;

/**
 * A progress bar on stderr when it is a terminal; otherwise a plain `label: done/total` line at
 * most once a second (and at the end), so logs of CI jobs stay readable.
 */
export function progress(label: string, io: Output): Progress {
  if (io.interactive) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {value}/{total} {percentage}% · eta {eta_formatted}`,
      stream: io.stderr,
      hideCursor: true,
      clearOnComplete: false,
    });
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, done);
          started = true;
        } else bar.update(done);
      },
      finish() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  let pending: [number, number] | undefined;
  return {
    update(done, total) {
      pending = [done, total];
      const now = Date.now();
      if (now - last >= PLAIN_EVERY_MS || done === total) {
        last = now;
        pending = undefined;
        io.err(`${label}: ${done}/${total}`);
      }
    },
    finish() {
      if (pending) io.err(`${label}: ${pending[0]}/${pending[1]}`);
    },
  };
}
