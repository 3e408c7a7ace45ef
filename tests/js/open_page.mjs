// Opens what `quaderno open` gave the browser (a file:// address that sends the browser on
// to the page with its key) in Debian's Chromium, headless, and waits until the page shows
// TEXT; saves a screenshot. Exit 0 when it did, 1 otherwise, with the reason on stderr.
//
//   node open_page.mjs FILE_URL TEXT SCREENSHOT.png

import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EXECUTABLE, FLAGS } from "./chromium.mjs";

const [fileUrl, text, screenshot] = process.argv.slice(2);
if (!fileUrl || !text || !screenshot) {
  console.error("usage: node open_page.mjs FILE_URL TEXT SCREENSHOT.png");
  process.exit(2);
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "quaderno-open-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: EXECUTABLE,
  headless: true,
  args: [...FLAGS, "--lang=it-IT"],
  locale: "it-IT",
  viewport: { width: 1280, height: 800 },
});
let failed = null;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(fileUrl);
  await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//, { timeout: 15000 });
  await page.getByText(text).first().waitFor({ state: "visible", timeout: 15000 });
  await page.screenshot({ path: screenshot });
  console.log(`the page at ${new URL(page.url()).origin}/ shows "${text}"`);
} catch (error) {
  failed = error;
  // What it showed instead, for whoever reads the failure.
  await context.pages()[0]?.screenshot({ path: screenshot }).catch(() => {});
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
if (failed) {
  console.error(`the page did not show "${text}": ${failed.message}`);
  process.exit(1);
}
