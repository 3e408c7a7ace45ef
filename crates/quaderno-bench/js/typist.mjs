// The typist of `quaderno-bench pages --browser`: real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core from tests/js/node_modules) on a `quaderno ui`
// page. It opens a note, types into its body one key every --interval-ms, and measures in the
// page, for each key, the time from the key event to the text being on screen with the page
// free for the next key (the key's input handled, the next frame drawn, then a task run).
//
// Usage: node typist.mjs URL NOTE_ID KEYS INTERVAL_MS WARMUP
// Prints one JSON line: { samples_ms: [...], typed, body_chars, errors }.

import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const require = createRequire(new URL("../../../tests/js/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const [url, note, keysArg, intervalArg, warmupArg] = process.argv.slice(2);
const keys = Number(keysArg);
const interval = Number(intervalArg);
const warmup = Number(warmupArg);
const TYPED = " e la proposta del gruppo di lavoro sul territorio";
const LIMIT = 30000;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "quaderno-bench-chromium-"));
const errors = [];
let context;
const watchdog = setTimeout(() => finish({ error: "the browser run took too long" }, 3), LIMIT + keys * interval * 2);

async function finish(out, code = 0) {
  clearTimeout(watchdog);
  process.stdout.write(`${JSON.stringify({ ...out, errors })}\n`);
  await context?.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(code);
}

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.QUADERNO_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1440, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(url);
  await page.locator("body[data-ready=true]").waitFor({ timeout: LIMIT });
  await page.locator(`.note-item[data-note="${note}"]`).first().click({ timeout: LIMIT });
  const body = page.locator("#note-body");
  await page.waitForFunction(() => {
    const el = document.querySelector("#note-body");
    return el && !el.disabled && el.value.length > 0;
  }, null, { timeout: LIMIT, polling: 50 });
  await body.focus();
  await body.evaluate((el) => {
    el.setSelectionRange(el.value.length, el.value.length);
    window.__samples = [];
    let down = null;
    el.addEventListener("keydown", (e) => (down = e.timeStamp), true);
    el.addEventListener("input", () => {
      const t0 = down;
      down = null;
      if (t0 === null) return;
      requestAnimationFrame(() => setTimeout(() => window.__samples.push(performance.now() - t0), 0));
    });
  });
  const before = await body.evaluate((el) => el.value.length);
  let text = "";
  while (text.length < warmup + keys) text += TYPED;
  text = text.slice(0, warmup + keys);
  await page.keyboard.type(text, { delay: interval });
  await page.waitForFunction((n) => window.__samples.length >= n, warmup + keys, { timeout: LIMIT, polling: 50 });
  const samples = await page.evaluate(() => window.__samples);
  const after = await body.evaluate((el) => el.value.length);
  await finish({ samples_ms: samples.slice(warmup), typed: after - before, body_chars: before });
} catch (error) {
  await finish({ error: String(error?.message ?? error) }, 2);
}
