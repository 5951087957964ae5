// docs.test.mjs - the API reference page renders /openapi.json offline,
// and its "Try it out" reaches the real server with the key the
// playground kept.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BASE, finish, launch, newPage, openPlayground } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("the docs page lists /execute and tries GET /status with the key",
  async () => {
    const page = await newPage(browser.context);
    await openPlayground(page);
    await page.goto(`${BASE}/docs/`);
    const paths = page.locator(".opblock-summary-path");
    await paths.first().waitFor();
    const all = (await paths.allInnerTexts()).map((t) => t.replace(/\u200b/g, ""));
    for (const p of ["/execute", "/health", "/sessions/{id}/execute"]) {
      assert.ok(all.includes(p), `${p} in ${all}`);
    }
    const op = page.locator("#operations-service-status");
    await op.locator(".opblock-summary").click();
    await op.getByRole("button", { name: "Try it out" }).click();
    await op.getByRole("button", { name: "Execute" }).click();
    const status = op.locator(".live-responses-table .response .response-col_status");
    await status.first().waitFor();
    assert.equal((await status.first().innerText()).trim(), "200");
    await finish(page, "docs");
  });
