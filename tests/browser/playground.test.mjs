// playground.test.mjs - the playground in Chromium against the real stack:
// runs, errors, plots, sessions, test cases, the keyboard and a narrow
// screen.  Each test leaves a screenshot in the output folder.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  KEY, finish, launch, newPage, openPlayground, runAndWait, typeCode,
  waitForResult,
} from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const text = (page, sel) => page.locator(sel).innerText();
const badge = (page) => text(page, "#status .badge");
const pane = (page, name) => page.locator(`[data-pane=${name}] pre`).textContent();

test("hello: stdout and the last value are shown", async () => {
  const page = await newPage(browser.context);
  await openPlayground(page);
  await runAndWait(page);
  assert.equal(await badge(page), "completed");
  assert.equal(await pane(page, "stdout"), "Hello, world!\n");
  assert.equal(await pane(page, "value"), "42");
  assert.match(await text(page, "#status"), /exit code 0/);
  await finish(page, "hello");
});

test("a missing key is a 401 that says what to do; the key is kept",
  async () => {
    const page = await newPage(browser.context);
    await openPlayground(page, { key: "" });
    await runAndWait(page);
    assert.equal(await badge(page), "HTTP 401");
    assert.match(await text(page, "#problem"), /unauthorized.*API key/s);
    await page.getByLabel("API key").fill(KEY);
    await page.reload();
    await page.waitForSelector("body[data-ready]");
    assert.equal(await page.getByLabel("API key").inputValue(), KEY);
    await finish(page, "missing-key");
  });

test("an exception: status error, the traceback in red in stderr",
  async () => {
    const page = await newPage(browser.context);
    await openPlayground(page);
    await page.getByLabel("Example").selectOption("exception");
    await runAndWait(page);
    assert.equal(await badge(page), "error");
    assert.equal(await pane(page, "stdout"), "4.0\n");
    const stderr = page.locator("[data-pane=stderr] pre");
    assert.match(await stderr.textContent(),
      /Traceback \(most recent call last\):\n {2}File .*\n.*ZeroDivisionError/s);
    const style = await stderr.evaluate((e) => {
      const s = getComputedStyle(e);
      return { color: s.color, whiteSpace: s.whiteSpace, font: s.fontFamily };
    });
    assert.equal(style.color, "rgb(164, 35, 27)");
    assert.equal(style.whiteSpace, "pre");
    assert.match(style.font, /mono/i);
    await finish(page, "exception");
  });

test("a plot: the figure is an <img> holding a decoded PNG", async () => {
  const page = await newPage(browser.context);
  await openPlayground(page);
  await page.getByLabel("Example").selectOption("plot");
  const png = page.waitForResponse((r) => r.url().includes("/images/"));
  await runAndWait(page);
  assert.equal(await badge(page), "completed");
  const img = page.locator("[data-pane=images] img");
  assert.equal(await img.count(), 1);
  assert.equal((await png).headers()["content-type"], "image/png");
  await page.waitForFunction(
    () => document.querySelector("[data-pane=images] img").complete);
  const size = await img.evaluate((e) => [e.naturalWidth, e.naturalHeight]);
  assert.deepEqual(size, [700, 350]);
  await finish(page, "plot");
});

test("a session keeps x; reset forgets it", async () => {
  const page = await newPage(browser.context);
  await openPlayground(page);
  const reset = page.getByRole("button", { name: "Reset session" });
  assert.equal(await reset.isDisabled(), true);
  await page.getByLabel(/Keep state/).check();
  await typeCode(page, "x = 41");
  await runAndWait(page);
  assert.match(await text(page, "#status"), /new session/);
  await typeCode(page, "x + 1");
  await runAndWait(page);
  assert.equal(await pane(page, "value"), "42");
  assert.match(await text(page, "#status"), /session kept/);
  const resetDone = async () => {
    await reset.click();
    await page.waitForFunction(() =>
      document.querySelector("#status .badge").textContent === "session reset");
  };
  await resetDone();
  await typeCode(page, "x");
  await runAndWait(page);
  assert.equal(await badge(page), "error");
  assert.match(await pane(page, "stderr"),
    /NameError: name 'x' is not defined/);
  await finish(page, "session");
});

test("test cases: each case's result in a table", async () => {
  const page = await newPage(browser.context);
  await openPlayground(page);
  await typeCode(page, "def add(a, b):\n    return a + b");
  await page.getByText("Test cases", { exact: true }).click();
  await page.getByLabel(/Test cases as JSON/).fill(JSON.stringify([
    { code: "print(add(2, 3))", expected_output: "5" },
    { code: "print(add(2, 2))", expected_output: "5" },
  ]));
  await runAndWait(page);
  assert.match(await text(page, "[data-pane=tests] h3"), /1 of 2 passed/);
  const results = await page.locator("[data-pane=tests] tbody td:nth-child(2)")
    .allInnerTexts();
  assert.deepEqual(results, ["passed", "failed"]);
  await finish(page, "test-cases");
});

test("keyboard only: tab into the editor, type, Ctrl+Enter runs, focus is visible",
  async () => {
    const page = await newPage(browser.context);
    await openPlayground(page);
    await page.getByLabel("Example").focus();
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(
      () => document.activeElement.classList.contains("cm-content")), true);
    await page.keyboard.press("Control+A");
    await page.keyboard.type("print('typed')\n");
    await page.keyboard.press("Control+Enter");
    await waitForResult(page);
    assert.equal(await pane(page, "stdout"), "typed\n");
    assert.equal(await page.locator(".cm-line").count(), 2,
      "Ctrl+Enter must not insert a line");
    // Esc then Tab leaves the editor for the Run button, which shows focus.
    await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    const run = await page.evaluate(() => {
      const e = document.activeElement;
      const s = getComputedStyle(e);
      return { id: e.id, outline: s.outlineStyle, width: s.outlineWidth };
    });
    assert.deepEqual(run, { id: "run", outline: "solid", width: "3px" });
    // Ctrl+Enter from the stdin box runs too.
    await page.getByLabel("Standard input").fill("abc");
    await typeCode(page, "print(input()[::-1])");
    await page.getByLabel("Standard input").focus();
    await page.keyboard.press("Control+Enter");
    await waitForResult(page);
    assert.equal(await pane(page, "stdout"), "cba\n");
    await finish(page, "keyboard");
  });

test("a 400px-wide screen: no horizontal scroll, Run reachable", async () => {
  const page = await newPage(browser.context, { width: 400, height: 800 });
  await openPlayground(page);
  await page.getByLabel("Example").selectOption("pandas");
  await runAndWait(page);
  assert.equal(await badge(page), "completed");
  const layout = await page.evaluate(() => {
    const r = document.getElementById("run").getBoundingClientRect();
    return { scroll: document.documentElement.scrollWidth,
      left: r.left, right: r.right };
  });
  assert.ok(layout.scroll <= 400, `page is ${layout.scroll}px wide`);
  assert.ok(layout.left >= 0 && layout.right <= 400, JSON.stringify(layout));
  await page.getByRole("button", { name: "Run" }).scrollIntoViewIfNeeded();
  assert.equal(await page.getByRole("button", { name: "Run" }).isVisible(), true);
  await finish(page, "narrow");
});

test("output shows while it runs; Stop cancels the run", async () => {
  const page = await newPage(browser.context);
  await openPlayground(page);
  await page.getByLabel("Timeout (s)").fill("60");
  await typeCode(page, "import time\nfor i in range(600):\n"
    + "    print('tick', i)\n    time.sleep(0.1)\n");
  await page.getByRole("button", { name: "Run" }).click();
  // A line is on the page while the run is still going.
  await page.waitForFunction(() => {
    const pre = document.querySelector("[data-pane=stdout] pre");
    return pre && pre.textContent.includes("tick 2\n");
  });
  assert.equal(await badge(page), "running");
  await page.getByRole("button", { name: "Stop" }).click();
  await waitForResult(page);
  assert.equal(await badge(page), "cancelled");
  const out = await pane(page, "stdout");
  assert.match(out, /^tick 0\ntick 1\ntick 2\n/);
  assert.doesNotMatch(out, /tick 599/);
  assert.equal(await page.getByRole("button", { name: "Stop" }).isDisabled(),
    true);
  await finish(page, "live-and-stop");
});
