// The typist of `quaderno-bench pages --browser`: real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core from tests/js/node_modules) on a `quaderno ui`
// page. It opens a note and types into its body one key every --interval-ms. For each key it
// measures in the page:
//
// - key to next frame: from the key event's time stamp to the text on screen with the page
//   free for the next key (the key's input handled, the next frame drawn, then a task run).
//   It includes the wait for the next frame (0-16.7 ms at 60 Hz), which is no work of the page.
// - work per key: the part of that time the page's main thread was busy for the key. It is
//   the key's wait for the main thread (input delay, e.g. behind a sync message being handled),
//   its handlers and the browser's editing (keydown to the end of input), the frame's start
//   past its due time (other tasks before it), and the frame's style, layout and paint (from
//   the animation frame callback to a task right after). Only the idle wait for the frame is
//   left out.
//
// And over all measured keys, the renderer's main-thread time per key from the DevTools
// Protocol's Performance.getMetrics (every task: the keys, the sync messages that come and go
// between them, their style and layout).
//
// Usage: node typist.mjs URL NOTE_ID KEYS INTERVAL_MS WARMUP
// Prints one JSON line: { samples_ms (key to next frame), work_ms, parts, main_thread_per_key,
// summary, typed, body_chars, errors }.
//
// Environment, all optional:
//   QUADERNO_TYPIST_OUT=FILE      also appends the summary as one JSON line to FILE (the bench
//                                 shows only samples_ms)
//   QUADERNO_TYPIST_TRACE=FILE    records a DevTools trace of the measured keys into FILE (open it
//                                 in Chromium's Performance panel)
//   QUADERNO_TYPIST_PROFILE=FILE  records a JavaScript CPU profile of the measured keys (.cpuprofile)

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
/** How long the page is left to answer the last key's sync messages before the main thread's
 *  time is read. */
const SETTLE_MS = 500;
const TRACE_CATEGORIES = [
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "disabled-by-default-devtools.timeline.frame",
  "v8.execute",
  "disabled-by-default-v8.cpu_profiler",
  "blink.user_timing",
  "toplevel",
].join(",");

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "quaderno-bench-chromium-"));
const errors = [];
let context;
const watchdog = setTimeout(() => finish({ error: "the browser run took too long" }, 3), LIMIT + keys * interval * 2);

async function finish(out, code = 0) {
  clearTimeout(watchdog);
  process.stdout.write(`${JSON.stringify({ ...out, errors })}\n`);
  if (process.env.QUADERNO_TYPIST_OUT && out.summary) {
    fs.appendFileSync(process.env.QUADERNO_TYPIST_OUT, `${JSON.stringify({ ...out.summary, errors })}\n`);
  }
  await context?.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(code);
}

/** Installed in the page: the per-key measures, in window.__keys. */
function measureKeys(el) {
  window.__keys = [];
  let key = null;
  // Window listeners run first (capture) and last (bubble) around the page's own. The frame is
  // asked for at the key, before the page asks for any, so that the task run after it is the
  // first one after the frame (not work the page put off until after the frame).
  const afterFrame = (k) =>
    requestAnimationFrame((frameTime) => {
      if (k.handled === undefined) return afterFrame(k); // a frame before the key's input
      k.frameTime = frameTime;
      k.frame = performance.now();
      setTimeout(() => {
        k.drawn = performance.now();
        window.__keys.push(k);
      }, 0);
    });
  window.addEventListener(
    "keydown",
    (e) => {
      if (e.target !== el) return;
      key = { stamp: e.timeStamp, start: performance.now() };
      afterFrame(key);
    },
    true,
  );
  window.addEventListener("input", (e) => {
    if (e.target !== el || key === null) return;
    key.handled = performance.now();
    key = null;
  });
}

/** A key's figures from its time points, in ms. */
function partsOf(k) {
  const parts = {
    delay: k.start - k.stamp,
    handlers: k.handled - k.start,
    frameLate: Math.max(0, k.frame - Math.max(k.frameTime, k.handled)),
    render: k.drawn - k.frame,
  };
  return {
    toFrame: k.drawn - k.stamp,
    work: parts.delay + parts.handlers + parts.frameLate + parts.render,
    ...parts,
  };
}

/** Nearest-rank percentile, as quaderno-bench computes it. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

const round = (ms) => Math.round(ms * 100) / 100;

function summarise(values) {
  return { p50: round(percentile(values, 50)), p99: round(percentile(values, 99)), max: round(Math.max(...values)) };
}

/** The renderer main thread's cumulative times, in ms, from Performance.getMetrics. */
async function mainThread(cdp) {
  const { metrics } = await cdp.send("Performance.getMetrics");
  const get = (name) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
  return {
    task: get("TaskDuration"),
    script: get("ScriptDuration"),
    style: get("RecalcStyleDuration"),
    layout: get("LayoutDuration"),
  };
}

function perKey(before, after, n) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, round((after[k] - before[k]) / n)]));
}

/** Starts recording what QUADERNO_TYPIST_TRACE and QUADERNO_TYPIST_PROFILE ask for; the
 *  returned function stops and writes them. */
async function record(cdp) {
  const tracePath = process.env.QUADERNO_TYPIST_TRACE;
  const profilePath = process.env.QUADERNO_TYPIST_PROFILE;
  const events = [];
  if (tracePath) {
    cdp.on("Tracing.dataCollected", ({ value }) => events.push(...value));
    await cdp.send("Tracing.start", { traceConfig: { includedCategories: TRACE_CATEGORIES.split(",") }, transferMode: "ReportEvents" });
  }
  if (profilePath) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
    await cdp.send("Profiler.start");
  }
  return async () => {
    if (profilePath) {
      const { profile: cpu } = await cdp.send("Profiler.stop");
      fs.writeFileSync(profilePath, JSON.stringify(cpu));
    }
    if (tracePath) {
      const done = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
      await cdp.send("Tracing.end");
      await done;
      fs.writeFileSync(tracePath, JSON.stringify({ traceEvents: events }));
    }
  };
}

async function typeKeys(page, text, total) {
  await page.keyboard.type(text, { delay: interval });
  await page.waitForFunction((n) => window.__keys.length >= n, total, { timeout: LIMIT, polling: 50 });
  await page.waitForTimeout(SETTLE_MS);
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
  await body.evaluate((el) => el.setSelectionRange(el.value.length, el.value.length));
  await body.evaluate(measureKeys);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const before = await body.evaluate((el) => el.value.length);
  let text = "";
  while (text.length < warmup + keys) text += TYPED;
  text = text.slice(0, warmup + keys);

  await typeKeys(page, text.slice(0, warmup), warmup);
  const stop = await record(cdp);
  const start = await mainThread(cdp);
  await typeKeys(page, text.slice(warmup), warmup + keys);
  const end = await mainThread(cdp);
  await stop();

  const measured = (await page.evaluate(() => window.__keys)).slice(warmup).map(partsOf);
  const after = await body.evaluate((el) => el.value.length);
  const column = (name) => measured.map((k) => k[name]);
  const main_thread_per_key = perKey(start, end, keys);
  const summary = {
    body_chars: before,
    keys: measured.length,
    key_to_next_frame: summarise(column("toFrame")),
    work_per_key: summarise(column("work")),
    work_parts_p50: Object.fromEntries(["delay", "handlers", "frameLate", "render"].map((n) => [n, round(percentile(column(n), 50))])),
    main_thread_per_key,
  };
  await finish({
    samples_ms: column("toFrame"),
    work_ms: column("work"),
    parts: measured,
    main_thread_per_key,
    summary,
    typed: after - before,
    body_chars: before,
  });
} catch (error) {
  await finish({ error: String(error?.message ?? error) }, 2);
}
