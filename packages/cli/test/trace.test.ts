import { type MessageLogEntry, sqliteMessageLog } from "@mailroom/core/message-log";
import { describe, expect, it } from "vitest";
import { logEntry } from "../../core/test/message-log-entry.ts";
import { shortId } from "../src/format.ts";
import { main } from "../src/index.ts";
import { workdir } from "./helpers.ts";
import { lineageScenario } from "./lineage-scenario.ts";
import { capture } from "./transport-scenario.ts";

describe("mailroom run --log-messages and mailroom trace", () => {
  it("on the SQLite queue: every run is logged, and trace prints ancestors and descendants with their outcomes", async () => {
    const { dir, queue } = workdir();
    await lineageScenario(queue, dir);
  });

  it("a log that does not exist is one clear line, exit 2", async () => {
    const { dir } = workdir();
    const c = capture();
    expect(await main(["node", "mailroom", "trace", "some-id", "--log", `${dir}/none.db`], c.io)).toBe(2);
    expect(c.err).toEqual([
      `mailroom: no message log at ${dir}/none.db; turn it on with mailroom run --log-messages PATH`,
    ]);
  });

  describe("ids as other commands print them", () => {
    const ids = [
      "01a2356b-2368-77c0-bf33-772236934ec3",
      "01a2356b-25f7-7390-bb33-f51e1b1e136d",
      "01a2356b-25fa-75a0-b4ff-576ef1b2c3d4",
      "01b0aaaa-0000-7000-8000-000000b2c3d4",
    ];

    async function logOf(dir: string, entries: string[]): Promise<string> {
      const path = `${dir}/messages.db`;
      const log = sqliteMessageLog(path);
      for (const [i, id] of entries.entries()) log.record(entry(id, `step_${i}`));
      await log.close();
      return path;
    }

    async function trace(log: string, id: string) {
      const c = capture();
      const code = await main(["node", "mailroom", "trace", id, "--log", log, "--json"], c.io);
      return { code, out: c.out, err: c.err };
    }

    it("the shortened form shown by run and dlq list finds the message", async () => {
      const { dir } = workdir();
      const log = await logOf(dir, ids);
      const shown = shortId(ids[0]);
      expect(shown).toBe("01a2…934ec3");
      const r = await trace(log, shown);
      expect(r.err).toEqual([]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out[0]!).message[0]).toMatchObject({ id: ids[0], name: "step_0" });
    });

    it("a unique suffix or prefix of 6 characters or more finds the message", async () => {
      const { dir } = workdir();
      const log = await logOf(dir, ids);
      const bySuffix = await trace(log, "934ec3");
      expect(bySuffix.code, bySuffix.err.join("\n")).toBe(0);
      expect(JSON.parse(bySuffix.out[0]!).message[0].id).toBe(ids[0]);
      const byPrefix = await trace(log, "01b0aaaa");
      expect(byPrefix.code, byPrefix.err.join("\n")).toBe(0);
      expect(JSON.parse(byPrefix.out[0]!).message[0].id).toBe(ids[3]);
    });

    it("a part that matches several messages lists them and exits 2; one under 6 characters is not looked up", async () => {
      const { dir } = workdir();
      const log = await logOf(dir, ids);
      const r = await trace(log, "b2c3d4");
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toEqual([
        `mailroom: b2c3d4 matches 2 messages in the message log ${log}; give more of the id:\n  ${ids[2]}\n  ${ids[3]}`,
      ]);
      const short = await trace(log, "4ec3");
      expect(short.code).toBe(1);
      expect(short.err[0]).toMatch(/^mailroom: message 4ec3 is not in the message log /);
    });

    it("lists at most 10 of the matching messages", async () => {
      const { dir } = workdir();
      const many = Array.from(
        { length: 12 },
        (_, i) => `0193${String(i).padStart(4, "0")}-0000-7000-8000-000000abcdef`,
      );
      const log = await logOf(dir, many);
      const r = await trace(log, "0193…abcdef");
      expect(r.code).toBe(2);
      const lines = r.err[0]!.split("\n");
      expect(lines[0]).toBe(
        `mailroom: 0193…abcdef matches more than 10 messages in the message log ${log}; give more of the id:`,
      );
      expect(lines.slice(1)).toEqual([...many.slice(0, 10).map((id) => `  ${id}`), "  … and more"]);
    });

    it("an empty id is a usage error (undecodable messages are logged without one)", async () => {
      const { dir } = workdir();
      const log = await logOf(dir, ["", ""]);
      const r = await trace(log, "");
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toEqual([
        "mailroom: give a message id: mailroom trace <messageId> (a message whose body could not be decoded and had no id cannot be traced)",
      ]);
    });
  });
});

function entry(id: string, name: string): MessageLogEntry {
  return logEntry({ id, name });
}
