#!/usr/bin/env node
// Checked before anything is loaded: core imports node:sqlite, which older Nodes do not have.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `mailroom: needs Node.js 22.13 or newer (for its built-in node:sqlite); this is ${process.version}.\n` +
      "In the repository, `npx mailroom …` and `npm run …` use the Node 24 the project pins.\n",
  );
  process.exit(2);
}
// Handlers log through pino; keep it to warnings unless asked, so the CLI's own lines stay readable.
process.env.MAILROOM_LOG_LEVEL ??= "warn";

const { main } = await import("./program.ts");
const code = await main(process.argv);
// Spans an OpenTelemetry SDK (registered with NODE_OPTIONS=--import …) still holds go out first.
const { flushTraces } = await import("@mailroom/core");
await flushTraces();
// Flush stdout before exiting: handler modules may hold timers or sockets that would keep us alive.
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
process.exit(code);
