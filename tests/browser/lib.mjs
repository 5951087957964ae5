// lib.mjs - what the browser tests share: Debian's Chromium driven by
// playwright-core (from web/node_modules) with a fresh profile, the stack's
// URL and key from tests/browser/run, screenshots, and a guard that the
// pages load nothing from any other origin.  Waits are stretched by
// PYEXEC_TEST_TIMEOUT_SCALE, as in the Python suites (pyexec_test.waits).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SRC = process.env.PYEXEC_SRCDIR;
const require = createRequire(join(SRC, "web", "package.json"));
const { chromium } = require("playwright-core");

export const BASE = process.env.PYEXEC_URL;
export const KEY = process.env.PYEXEC_KEY;
const OUT = process.env.PYEXEC_BROWSER_OUT;
export const SCALE = Number(process.env.PYEXEC_TEST_TIMEOUT_SCALE || 1);

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic",
  "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

// A browser context with a fresh profile; close() removes the profile.
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "pyexec-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.PYEXEC_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(20000 * SCALE);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// A new page that records requests to other origins (there must be none).
export async function newPage(context, viewport) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  page.foreign = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(BASE) && !r.url().startsWith("data:")) {
      page.foreign.push(r.url());
    }
  });
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  return page;
}

// Saves a screenshot as OUT/name.png, checks the page's hygiene, closes it.
export async function finish(page, name) {
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  assert.deepEqual(page.foreign, [], "requests to other origins");
  assert.deepEqual(page.errors, [], "script errors on the page");
  await page.close();
}

// Opens the playground with the editor loaded and the key typed in.
export async function openPlayground(page, { key = KEY } = {}) {
  await page.goto(`${BASE}/`);
  await page.waitForSelector("body[data-ready] .cm-content");
  await page.getByLabel("API key").fill(key);
}

// Replaces the editor's text by typing it, as a person would.
export async function typeCode(page, code) {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(code);
}

// Clicks Run and waits for the run's status badge.
export async function runAndWait(page) {
  await page.getByRole("button", { name: "Run" }).click();
  await waitForResult(page);
}

export async function waitForResult(page) {
  await page.waitForFunction(() => {
    const b = document.querySelector("#status .badge");
    return b && b.textContent !== "running";
  }, null, { timeout: 60000 * SCALE });
}
