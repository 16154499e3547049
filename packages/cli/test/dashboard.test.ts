import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, sendCommand } from "../src/index.ts";
import { bin, buildCli, cli, root } from "./helpers.ts";
import { capture } from "./transport-scenario.ts";

const handlers = join(import.meta.dirname, "fixtures/lineage-handlers");
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const shots = join(root, "test-results/dashboard");

/** A CLI process the suite started, and what it printed on stderr. */
interface Started {
  child: ChildProcess;
  /** Resolves with the first match of `pattern` on stderr. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
}

const children: ChildProcess[] = [];

function start(args: string[], cwd: string): Started {
  const env = { ...process.env };
  delete env.MAILROOM_TRANSPORT;
  delete env.MAILROOM_DASHBOARD_TOKEN;
  delete env.MAILROOM_MESSAGE_LOG;
  const child = spawn(process.execPath, [bin, ...args], { cwd, env });
  children.push(child);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  return {
    child,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(stderr);
          if (m) {
            child.stderr!.off("data", check);
            child.off("exit", exited);
            resolve(m);
          }
        };
        const exited = () =>
          reject(new Error(`mailroom ${args[0]} exited before printing ${pattern}:\n${stderr}`));
        child.stderr!.on("data", check);
        child.once("exit", exited);
        check();
      }),
  };
}

/** Stop a child with SIGTERM and resolve with its exit code (it must stop cleanly). */
function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

/** A raw HTTP request (node:http, so that Host and Origin are sent as given). */
function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

// Functions for the page are given as source text: this file is compiled without the DOM library.
/** In the page: the first transport's `field` cell reads `text`. */
const cellIs = (field: string, text: string) =>
  `document.querySelector('[data-transport="t0"] td[data-field="${field}"]')?.textContent === ${JSON.stringify(text)}`;

/** The text of a figure cell of the first transport. */
const figure = (page: Page, field: string) =>
  page.$eval(`[data-transport="t0"] td[data-field="${field}"]`, (e) => e.textContent);

describe("mailroom dashboard in a real browser", () => {
  let dir: string;
  let queue: string;
  let workerQueue: string;
  let base: string;
  let dashboard: Started;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    if (!existsSync(chromium)) {
      throw new Error(
        `chromium not found at ${chromium}: install it with scripts/services.sh (apt-get install chromium) or set CHROMIUM_PATH`,
      );
    }
    mkdirSync(shots, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "mailroom-dashboard-"));
    queue = `sqlite:${join(dir, "q.db")}`;
    const logPath = join(dir, "messages.db");

    // Two dead letters: one at the end of a family (order_placed → invoice_requested →
    // invoice_sent), one sent alone with a large body.
    const quiet = capture();
    expect(await sendCommand("order_placed", '{"order":"A-1"}', { transport: queue }, quiet.io)).toBe(0);
    const lines = Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, quantity: i + 1 }));
    const big = JSON.stringify({ to: "nobody@example.com", lines, end: "END-OF-BODY" });
    expect(await sendCommand("invoice_sent", big, { transport: queue }, quiet.io)).toBe(0);
    const run = capture();
    expect(
      await runCommand(
        { handlers, transport: queue, untilEmpty: true, json: true, logMessages: logPath },
        run.io,
      ),
    ).toBe(0);
    expect(JSON.parse(run.out.at(-1)!)).toMatchObject({ deadLettered: 2 });
    // Three ready messages nobody handles.
    for (const n of [1, 2, 3]) {
      expect(await sendCommand("order_placed", JSON.stringify({ n }), { transport: queue }, quiet.io)).toBe(
        0,
      );
    }

    await buildCli();
    // A real worker on a queue of its own, for the rates from its /metrics; the dashboard shows
    // that queue too (--transport repeated).
    workerQueue = `sqlite:${join(dir, "w.db")}`;
    const worker = start(
      ["run", "--handlers", handlers, "--transport", workerQueue, "--health-port", "0"],
      dir,
    );
    const [, health] = await worker.waitFor(/health: (http:\/\/\S+)\/healthz/);
    dashboard = start(
      [
        "dashboard",
        "--transport",
        queue,
        "--transport",
        workerQueue,
        "--port",
        "0",
        "--log-messages",
        logPath,
        "--workers",
        health!,
      ],
      dir,
    );
    [, base] = (await dashboard.waitFor(/dashboard on (http:\/\/127\.0\.0\.1:\d+)\//)) as unknown as [
      string,
      string,
    ];

    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    page.on("pageerror", (error) => void pageErrors.push(error as Error));
  });

  afterAll(async () => {
    await browser?.close();
    for (const c of children) await stop(c);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows the queue figures, worker rates, and the dead letters with reasons, bodies and lineage", async () => {
    await page.goto(`${base}/`);
    await page.waitForFunction(
      `document.querySelectorAll('[data-transport="t0"] article.letter').length === 2`,
    );
    expect(await figure(page, "ready")).toBe("3");
    expect(await figure(page, "deadLettered")).toBe("2");
    expect(await figure(page, "delayed")).toBe("0");
    // The second transport: its own section, with its own figures, and its URL shown.
    await page.waitForSelector('[data-transport="t1"] td[data-field="ready"]');
    expect(await page.$eval('[data-transport="t1"] .url', (e) => e.textContent)).toMatch(/w\.db$/);
    expect(
      await page.$eval('[data-transport="t1"] td[data-field="deadLettered"]', (e) => e.textContent),
    ).toBe("0");

    const letters = await page.$$eval("article.letter", (all) =>
      all.map((a) => ({
        name: a.querySelector(".name")!.textContent,
        reason: a.querySelector(".reason")!.textContent,
        ancestors: [...a.querySelectorAll(".ancestors li")].map((li) => li.textContent),
        body: a.querySelector("pre.body")!.textContent!,
      })),
    );
    expect(letters.map((l) => l.name)).toEqual(["invoice_sent", "invoice_sent"]);
    for (const l of letters) expect(l.reason).toBe("permanent_error: mail server refused the address");
    // The family's dead letter: its parent and grandparent from the message log, with outcomes.
    const family = letters.find((l) => l.ancestors.length > 0)!;
    expect(family.ancestors).toHaveLength(2);
    expect(family.ancestors[0]).toMatch(/^order_placed .* ack attempt 1$/);
    expect(family.ancestors[1]).toMatch(/^invoice_requested .* ack attempt 1$/);
    // The large body: pretty JSON, truncated until expanded.
    const alone = letters.find((l) => l.ancestors.length === 0)!;
    expect(alone.body).toContain('"to": "nobody@example.com"');
    expect(alone.body).not.toContain("END-OF-BODY");
    // Rates from the worker's /metrics, once two scrapes have been diffed.
    await page.waitForFunction(
      `document.querySelector('#rate-rows td[data-field="received"]')?.textContent.endsWith("/s")`,
    );
    await page.screenshot({ path: join(shots, "overview.png"), fullPage: true });
    if (process.env.MAILROOM_UPDATE_SCREENSHOT === "1") {
      mkdirSync(join(root, "docs"), { recursive: true });
      await page.screenshot({ path: join(root, "docs/dashboard.png"), fullPage: true });
    }

    await page.click('article.letter button[data-action="expand"]');
    expect(await page.$eval("article.letter pre.body:not(:empty)", () => true)).toBe(true);
    const expanded = await page.$$eval("article.letter pre.body", (all) =>
      all.map((p) => p.textContent).join("\n"),
    );
    expect(expanded).toContain('"end": "END-OF-BODY"');

    await page.screenshot({ path: join(shots, "expanded.png"), fullPage: true });
  });

  it("redrive asks for confirmation, then the figures update live without a reload", async () => {
    // Set in this document: still there at the end only if the page was never reloaded.
    await page.evaluate("window.sameDocument = true");
    // Cancel leaves everything as it was.
    await page.click('[data-transport="t0"] button[data-action="redrive-all"]');
    await page.waitForSelector("dialog#confirm[open]");
    expect(await page.$eval("#confirm-text", (e) => e.textContent)).toMatch(/Move all 2 dead letters/);
    await page.screenshot({ path: join(shots, "confirm.png") });
    await page.click('dialog#confirm button[value="no"]');
    await page.waitForSelector("dialog#confirm:not([open])");
    expect(await figure(page, "deadLettered")).toBe("2");

    // The oldest one, then the rest.
    await page.click('[data-transport="t0"] button[data-action="redrive-oldest"]');
    await page.waitForSelector("dialog#confirm[open]");
    expect(await page.$eval("#confirm-text", (e) => e.textContent)).toMatch(/Move the oldest dead letter/);
    await page.click('dialog#confirm button[data-action="confirm"]');
    await page.waitForFunction(`${cellIs("deadLettered", "1")} && ${cellIs("ready", "4")}`);
    await page.waitForFunction(
      `document.querySelectorAll('[data-transport="t0"] article.letter').length === 1`,
    );

    await page.click('[data-transport="t0"] button[data-action="redrive-all"]');
    await page.waitForSelector("dialog#confirm[open]");
    await page.click('dialog#confirm button[data-action="confirm"]');
    await page.waitForFunction(`${cellIs("deadLettered", "0")} && ${cellIs("ready", "5")}`);
    await page.waitForSelector('[data-transport="t0"] .dead-letters .empty');
    expect(await page.evaluate("window.sameDocument")).toBe(true);
    expect(await page.$eval("#flash", (e) => e.textContent)).toBe("Moved 1 dead letter back.");
    await page.screenshot({ path: join(shots, "after-redrive.png"), fullPage: true });
  });

  it("a dead letter made by a running worker appears live, and purge deletes it after confirmation", async () => {
    const t1 = '[data-transport="t1"]';
    const quiet = capture();
    expect(
      await sendCommand("invoice_sent", '{"to":"later@example.com"}', { transport: workerQueue }, quiet.io),
    ).toBe(0);
    await page.waitForFunction(`document.querySelectorAll('${t1} article.letter').length === 1`);
    expect(await page.$eval(`${t1} td[data-field="deadLettered"]`, (e) => e.textContent)).toBe("1");

    await page.click(`${t1} button[data-action="purge-all"]`);
    await page.waitForSelector("dialog#confirm[open]");
    expect(await page.$eval("#confirm-text", (e) => e.textContent)).toMatch(
      /^Delete the one dead letter of .* for good\?/,
    );
    await page.click('dialog#confirm button[data-action="confirm"]');
    await page.waitForFunction(
      `document.querySelector('${t1} td[data-field="deadLettered"]')?.textContent === "0" && document.querySelector('${t1} .dead-letters .empty') !== null`,
    );
    expect(await page.$eval("#flash", (e) => e.textContent)).toBe("Deleted 1 dead letter.");
    // Nothing went back to the queue.
    expect(await page.$eval(`${t1} td[data-field="ready"]`, (e) => e.textContent)).toBe("0");
  });

  it("refuses actions without the CSRF header, from another origin, by GET, and through a foreign Host", async () => {
    const html = (await http(`${base}/`)).body;
    const csrf = /name="mailroom-csrf" content="([^"]+)"/.exec(html)![1]!;
    const json = { "content-type": "application/json" };
    const body = JSON.stringify({ transport: "t0" });

    const noHeader = await http(`${base}/api/redrive`, { method: "POST", headers: json, body });
    expect(noHeader.status).toBe(403);
    expect(JSON.parse(noHeader.body).error).toMatch(/x-mailroom-csrf/);
    const wrong = await http(`${base}/api/redrive`, {
      method: "POST",
      headers: { ...json, "x-mailroom-csrf": "guessed" },
      body,
    });
    expect(wrong.status).toBe(403);
    const crossOrigin = await http(`${base}/api/redrive`, {
      method: "POST",
      headers: { ...json, "x-mailroom-csrf": csrf, origin: "http://evil.example" },
      body,
    });
    expect(crossOrigin.status).toBe(403);
    expect(JSON.parse(crossOrigin.body).error).toBe("cross-origin request from http://evil.example refused");
    const rebound = await http(`${base}/api/state`, { headers: { host: "evil.example" } });
    expect(rebound.status).toBe(403);
    const byGet = await http(`${base}/api/redrive?transport=t0`);
    expect(byGet.status).toBe(405);
    const purgeNoHeader = await http(`${base}/api/purge`, { method: "POST", headers: json, body });
    expect(purgeNoHeader.status).toBe(403);
    expect((await http(`${base}/api/purge?transport=t0`)).status).toBe(405);

    // The same request, same-origin with the header, is accepted.
    const ok = await http(`${base}/api/redrive`, {
      method: "POST",
      headers: { ...json, "x-mailroom-csrf": csrf, origin: base },
      body,
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ moved: 0 });

    // A page of another origin cannot post either: the browser's preflight gets no CORS answer.
    const other = await browser!.newPage();
    try {
      await other.goto(`${base.replace("127.0.0.1", "localhost")}/api/state`);
      const outcome = await other.evaluate(
        async (url: string, token: string) => {
          try {
            const res = await fetch(url, {
              method: "POST",
              headers: { "content-type": "application/json", "x-mailroom-csrf": token },
              body: JSON.stringify({ transport: "t0" }),
            });
            return `status ${res.status}`;
          } catch (error) {
            return `blocked: ${(error as Error).name}`;
          }
        },
        `${base}/api/redrive`,
        csrf,
      );
      expect(outcome).toBe("blocked: TypeError");
    } finally {
      await other.close();
    }
  });

  it("on 0.0.0.0 with a token, every request needs it; ?token= once leaves an HttpOnly SameSite=Strict cookie", async () => {
    // On every interface, as in a container: allowed with a token.
    const locked = start(
      ["dashboard", "--transport", queue, "--host", "0.0.0.0", "--port", "0", "--token", "s3cret-token"],
      dir,
    );
    const [, port] = await locked.waitFor(
      /dashboard on http:\/\/0\.0\.0\.0:(\d+)\/ \(1 transport, token required/,
    );
    const url = `http://127.0.0.1:${port}`;
    expect((await http(`${url}/api/state`)).status).toBe(401);
    expect((await http(`${url}/api/state`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect(
      (await http(`${url}/api/state`, { headers: { authorization: "Bearer s3cret-token" } })).status,
    ).toBe(200);
    const entry = await http(`${url}/?token=s3cret-token`);
    expect(entry.status).toBe(303);
    expect(entry.headers.location).toBe("/");
    const cookie = String(entry.headers["set-cookie"]);
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
    // The cookie lets a browser in, and is not the token itself.
    expect(cookie).not.toContain("s3cret-token");
    const session = cookie.split(";")[0]!;
    expect((await http(`${url}/api/state`, { headers: { cookie: session } })).status).toBe(200);
    expect(
      (await http(`${url}/api/state`, { headers: { cookie: "mailroom_dashboard=s3cret-token" } })).status,
    ).toBe(401);

    const tab = await browser!.newPage();
    try {
      await tab.goto(`${url}/?token=s3cret-token`);
      expect(new URL(tab.url()).search).toBe("");
      await tab.waitForFunction(cellIs("ready", "5"));
      expect(await tab.evaluate("document.cookie")).toBe("");
    } finally {
      await tab.close();
    }
    expect(await stop(locked.child)).toBe(0);
  });

  it("binding 0.0.0.0 without a token exits with one clear error line", async () => {
    const r = await cli(["dashboard", "--host", "0.0.0.0", "--port", "0"], {
      cwd: dir,
      env: { MAILROOM_DASHBOARD_TOKEN: "" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      "mailroom: --host 0.0.0.0 is reachable from other machines: set --token or $MAILROOM_DASHBOARD_TOKEN (anyone who reaches the dashboard can redrive the queues), or leave --host at 127.0.0.1",
    ]);
  });

  it("an empty --token, or a blank $MAILROOM_DASHBOARD_TOKEN, exits with one clear error line", async () => {
    const empty = await cli(["dashboard", "--host", "0.0.0.0", "--port", "0", "--token", ""], { cwd: dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim().split("\n")).toEqual([
      "mailroom: --token is empty: give a secret (e.g. from openssl rand -hex 32), or leave it out and keep --host at 127.0.0.1",
    ]);
    const blank = await cli(["dashboard", "--host", "0.0.0.0", "--port", "0"], {
      cwd: dir,
      env: { MAILROOM_DASHBOARD_TOKEN: "   " },
    });
    expect(blank.code).toBe(2);
    expect(blank.stderr.trim().split("\n")).toEqual([
      "mailroom: $MAILROOM_DASHBOARD_TOKEN is empty: give a secret (e.g. from openssl rand -hex 32), or leave it out and keep --host at 127.0.0.1",
    ]);
    // On loopback too: a blank token is a mistake, not "no token".
    const loopback = await cli(["dashboard", "--port", "0", "--token", " "], { cwd: dir });
    expect(loopback.code).toBe(2);
    expect(loopback.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("stops cleanly on SIGTERM, the page having run without a script error", async () => {
    expect(pageErrors).toEqual([]);
    expect(await stop(dashboard.child)).toBe(0);
  });
});
