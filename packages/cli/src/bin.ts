#!/usr/bin/env node
// Handlers log through pino; keep it to warnings unless asked, so the CLI's own lines stay readable.
process.env.MAILROOM_LOG_LEVEL ??= "warn";

const { main } = await import("./program.ts");
const code = await main(process.argv);
// Flush stdout before exiting: handler modules may hold timers or sockets that would keep us alive.
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
process.exit(code);
