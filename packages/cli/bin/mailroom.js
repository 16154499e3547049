#!/usr/bin/env node
// The `mailroom` command. This file is committed (not built) because npm links a workspace's
// bin only if its target exists at install time; it loads the compiled CLI from dist/.
import { existsSync } from "node:fs";

const built = new URL("../dist/bin.js", import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(
    "mailroom: the CLI is not built yet; run `npm run build` (or `npx tsc -b packages/cli`) in the repository\n",
  );
  process.exit(2);
}
await import(built.href);
