#!/usr/bin/env node
// The `mailroom` command. This file is committed (not built) because npm links a workspace's
// bin only if its target exists at install time; it loads the compiled CLI from dist/.
import { existsSync } from "node:fs";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `mailroom: needs Node.js 22.13 or newer (for its built-in node:sqlite); this is ${process.version}.\n` +
      "In the repository, `npx mailroom …` and `npm run …` use the Node 24 the project pins.\n",
  );
  process.exit(2);
}

const built = new URL("../dist/bin.js", import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(
    "mailroom: the CLI is not built yet; run `npm run build` (or `npx tsc -b packages/cli`) in the repository\n",
  );
  process.exit(2);
}
await import(built.href);
