// Drives real Chromium browsers on Quaderno's page for the end-to-end tests, one JSON command
// per line on stdin, one JSON answer per line on stdout ({ id, ok, ... }). Every wait has a
// deadline; a command that fails answers { ok: false, error }.
//
// Chromium is Debian's (/usr/bin/chromium), started headless with a fresh profile and no
// background networking; nothing is downloaded.

import { chromium } from "playwright-core";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { EXECUTABLE, FLAGS } from "./chromium.mjs";

/** axe-core's script, put into a page to check it. */
const AXE_SOURCE = fs.readFileSync(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

/** pdf.js, loaded once. It tells on stdout, where the answers go, that it cannot draw (it only
 *  reads text here): that goes to stderr. */
let pdfjs = null;
async function pdfReader() {
  if (pdfjs) return pdfjs;
  const log = console.log;
  console.log = (...args) => console.error(...args);
  try {
    pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
  } finally {
    console.log = log;
  }
  return pdfjs;
}

/** name -> { browser, context, page, profile } */
const people = new Map();

function person(name) {
  const p = people.get(name);
  if (!p) throw new Error(`no browser named ${name}`);
  return p;
}

const commands = {
  /** A browser of its own (its own profile, so its own cookies), on `url`. */
  async launch({ name, url, locale = "it-IT", width = 1440, height = 900 }) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "quaderno-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: EXECUTABLE,
      headless: true,
      args: [...FLAGS, `--lang=${locale}`],
      env: { ...process.env, LANG: `${locale.replace("-", "_")}.UTF-8`, LANGUAGE: locale.split("-")[0] },
      locale,
      viewport: { width, height },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    people.set(name, { context, page, profile, errors });
    const response = await page.goto(url);
    return { status: response?.status(), url: page.url() };
  },

  /** The window's size, as a narrow window beside a video call would have it. */
  async viewport({ name, width, height = 900 }) {
    await person(name).page.setViewportSize({ width, height });
    return {};
  },

  async goto({ name, url }) {
    const response = await person(name).page.goto(url);
    return { status: response?.status(), url: person(name).page.url() };
  },

  async reload({ name }) {
    await person(name).page.reload();
    return {};
  },

  async wait({ name, selector, state = "visible", timeout = 15000 }) {
    await person(name).page.locator(selector).first().waitFor({ state, timeout });
    return {};
  },

  async click({ name, selector, timeout = 15000 }) {
    await person(name).page.locator(selector).first().click({ timeout });
    return {};
  },

  async fill({ name, selector, value, timeout = 15000 }) {
    await person(name).page.locator(selector).first().fill(value, { timeout });
    return {};
  },

  /** Chooses an option of a `<select>`, as a person would (a change event follows). */
  async select({ name, selector, value, timeout = 15000 }) {
    await person(name).page.locator(selector).first().selectOption(value, { timeout });
    return {};
  },

  async press({ name, selector, key }) {
    await person(name).page.locator(selector).first().press(key);
    return {};
  },

  /** Puts the caret at `at` (a position, "start" or "end") of a field and types `text` key by
   *  key, as a person would. */
  async type({ name, selector, text, at = "end", delay = 15 }) {
    const page = person(name).page;
    const field = page.locator(selector).first();
    await field.focus();
    await field.evaluate((el, at) => {
      const pos = at === "end" ? el.value.length : at === "start" ? 0 : at;
      el.setSelectionRange(pos, pos);
    }, at);
    await page.keyboard.type(text, { delay });
    return {};
  },

  /** Types where the caret already is. */
  async keyboard({ name, text, delay = 15 }) {
    await person(name).page.keyboard.type(text, { delay });
    return {};
  },

  /** Several commands at the same time (people typing together). */
  async together({ commands: list }) {
    const results = await Promise.all(list.map((c) => run(c)));
    return { results };
  },

  async value({ name, selector }) {
    return { value: await person(name).page.locator(selector).first().inputValue() };
  },

  async text({ name, selector }) {
    return { value: (await person(name).page.locator(selector).first().textContent()) ?? "" };
  },

  async selection({ name, selector }) {
    return await person(name).page.locator(selector).first().evaluate((el) => ({
      start: el.selectionStart,
      end: el.selectionEnd,
      focused: document.activeElement === el,
    }));
  },

  /** Waits until a field's value (or, with `text: true`, an element's text) satisfies
   *  `contains` (every string given), `excludes` or `equals`. */
  async until({ name, selector, contains = [], excludes = [], equals, text = false, timeout = 15000 }) {
    const page = person(name).page;
    try {
      await page.waitForFunction(
        ({ selector, contains, excludes, equals, text }) => {
          const el = document.querySelector(selector);
          if (!el) return false;
          const v = text ? el.textContent : el.value;
          if (equals !== undefined && v !== equals) return false;
          return contains.every((c) => v.includes(c)) && excludes.every((c) => !v.includes(c));
        },
        { selector, contains, excludes, equals, text },
        { timeout, polling: 50 },
      );
      return { met: true, value: await current(page, selector, text) };
    } catch {
      return { met: false, value: await current(page, selector, text) };
    }
  },

  async attribute({ name, selector, attribute }) {
    return { value: await person(name).page.locator(selector).first().getAttribute(attribute) };
  },

  async count({ name, selector }) {
    return { value: await person(name).page.locator(selector).count() };
  },

  async screenshot({ name, file }) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await person(name).page.screenshot({ path: file });
    return {};
  },

  /** Evaluates an expression in the page (awaited if it is a promise). */
  async eval({ name, expression }) {
    return { value: await person(name).page.evaluate(expression) };
  },

  /** The accessibility problems axe-core finds in what the page shows now (WCAG 2.2 A and
   *  AA rules), as { id, impact, help, nodes: [selector and summary, ...] }. axe runs in the
   *  page as the driver's own script, which the page's content policy does not govern. */
  async axe({ name, include }) {
    const page = person(name).page;
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async (include) => {
      const result = await window.axe.run(include ? { include: [include] } : document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
        resultTypes: ["violations"],
      });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 8).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
      }));
    }, include ?? null);
    return { value: violations };
  },

  /** `url` printed by Chromium to PDF (A4, as "Save as PDF" does), in a new tab of `name`'s
   *  browser (its cookie); answers the PDF's text, read back by pdf.js, and its page count. */
  async pdf({ name, url }) {
    const page = await person(name).context.newPage();
    try {
      await page.goto(url, { waitUntil: "load" });
      const bytes = await page.pdf({ format: "A4", printBackground: true });
      const pdfjs = await pdfReader();
      const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), useSystemFonts: true, verbosity: 0 }).promise;
      let text = "";
      for (let n = 1; n <= doc.numPages; n++) {
        const content = await (await doc.getPage(n)).getTextContent();
        text += content.items.map((item) => item.str + (item.hasEOL ? "\n" : "")).join("") + "\n";
      }
      return { text, pages: doc.numPages };
    } finally {
      await page.close();
    }
  },

  async errors({ name }) {
    return { value: person(name).errors };
  },

  /** Another site, served from another port of this machine, tries to read the notes and to
   *  open the page's socket with this browser (whose cookie it would like to borrow). */
  async foreign({ name, target }) {
    const page = person(name).page;
    const server = http.createServer((_, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<!doctype html><title>another site</title>");
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${server.address().port}`;
    try {
      await page.goto(origin);
      return await page.evaluate(async (target) => {
        const out = {};
        try {
          const r = await fetch(`${target}/api/notes`, { credentials: "include" });
          out.read = { status: r.status, body: await r.text() };
        } catch (e) {
          out.read = { error: String(e) };
        }
        try {
          const r = await fetch(`${target}/api/notes`, {
            method: "POST",
            credentials: "include",
            mode: "no-cors",
            headers: { "Content-Type": "text/plain" },
            body: JSON.stringify({ title: "from another site" }),
          });
          out.write = { type: r.type };
        } catch (e) {
          out.write = { error: String(e) };
        }
        out.socket = await new Promise((resolve) => {
          const ws = new WebSocket(`${target.replace("http", "ws")}/api/socket`);
          ws.onopen = () => resolve("opened");
          ws.onerror = () => resolve("refused");
          setTimeout(() => resolve("timeout"), 5000);
        });
        return out;
      }, target);
    } finally {
      server.close();
    }
  },

  async close({ name }) {
    const p = people.get(name);
    if (p) {
      await p.context.close();
      fs.rmSync(p.profile, { recursive: true, force: true });
      people.delete(name);
    }
    return {};
  },
};

async function current(page, selector, text) {
  return page
    .locator(selector)
    .first()
    .evaluate((el, text) => (text ? el.textContent : el.value), text)
    .catch(() => null);
}

async function run(command) {
  const handler = commands[command.cmd];
  if (!handler) throw new Error(`unknown command ${command.cmd}`);
  return handler(command);
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const command = JSON.parse(line);
  if (command.cmd === "exit") break;
  let answer;
  try {
    answer = { id: command.id, ok: true, ...(await run(command)) };
  } catch (error) {
    answer = { id: command.id, ok: false, error: String(error?.message ?? error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
for (const name of [...people.keys()]) await commands.close({ name });
process.exit(0);
