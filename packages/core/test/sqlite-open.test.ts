// Opening a SQLite queue where no file can be made: found by the secrets test, where
// `mailroom run --transport sqlite:<a file>/q.db` printed "unexpected failure" and a stack trace.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, openTransport, sqliteTransport } from "@mailroom/core";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "mailroom-sqlite-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("opening a SQLite queue", () => {
  it("under a path whose folder cannot be made is a ConfigError naming the path and why", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    expect(() => sqliteTransport(join(file, "q.db"))).toThrow(ConfigError);
    await expect(openTransport(`sqlite:${join(file, "q.db")}?queue=q`)).rejects.toThrow(
      new RegExp(`cannot open the SQLite queue ${join(file, "q.db")}: .*EEXIST`),
    );
  });

  it("on a file that is not a database is a ConfigError", () => {
    const file = join(dir, "not-a-db");
    writeFileSync(file, "this is not a SQLite database, just text long enough to have a header".repeat(20));
    expect(() => sqliteTransport(file)).toThrow(ConfigError);
  });
});
