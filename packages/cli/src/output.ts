/** Where a command writes: results to `out` (stdout), progress and logs to `err` (stderr). */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** True when stderr is a terminal (progress bars, colours). */
  readonly interactive: boolean;
  readonly stderr: NodeJS.WritableStream;
}

/** The process's own stdout and stderr. */
export const stdio: Output = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  get interactive() {
    return process.stderr.isTTY === true;
  },
  stderr: process.stderr,
};
