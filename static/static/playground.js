// playground.js - the playground page: sends the editor's code to
// POST /execute (same origin) as a stream of Server-Sent Events, shows the
// output as it comes, then what came back: status, output, the last
// expression's value, figures and test results.  Stop cancels the run
// (POST /executions/{id}/cancel).  With the session toggle on, runs share
// one session_id; "Reset session" releases it.
import { examples } from "./examples.js";

const $ = (id) => document.getElementById(id);
const KEY_STORE = "pyexec.apiKey";
const sessionId = "playground-" + randomHex(8);
let editor;
let running = false;
let executionId = null;     // of the run in progress

function randomHex(bytes) {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// el("pre", {class: "x"}, "text", child...) - a DOM node; text is never HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function seconds(t) {
  return t < 1 ? `${Math.round(t * 1000)} ms` : `${t.toFixed(2)} s`;
}

async function api(path, body) {
  const headers = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) headers.Authorization = `Bearer ${key}`;
  const res = await fetch(path, {
    method: "POST", headers, body: JSON.stringify(body),
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    // Not JSON (a proxy's error page): the status alone is reported.
  }
  return { status: res.status, json, retryAfter: res.headers.get("Retry-After") };
}

// POST /execute as a stream: each output event goes to onOutput as it
// arrives; resolves with the reply (the "result" event) like api() does,
// or with the error when the answer is not a stream.
async function streamExecute(body, onOutput) {
  const headers = { "Content-Type": "application/json",
    Accept: "text/event-stream" };
  const key = $("api-key").value.trim();
  if (key) headers.Authorization = `Bearer ${key}`;
  const res = await fetch("execute", {
    method: "POST", headers, body: JSON.stringify(body),
  });
  const retryAfter = res.headers.get("Retry-After");
  if (!(res.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
    let json = null;
    try {
      json = await res.json();
    } catch {
      // Not JSON (a proxy's error page): the status alone is reported.
    }
    return { status: res.status, json, retryAfter };
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let kind = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) kind = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (!data) continue;          // a comment that keeps it alive
      const json = JSON.parse(data);
      if (kind === "result") return { status: 200, json };
      if (kind === "error") return { status: 503, json, retryAfter };
      if (kind === "stdout" || kind === "stderr") onOutput(kind, json.text);
    }
  }
  return { status: 502, json: null };
}

// ---- showing results ----

// Output while it runs: appended to its pane, never rebuilt.
function showLive(kind, text) {
  let pre = document.querySelector(`[data-pane=${kind}] pre`);
  if (!pre) {
    const p = pane(kind, kind === "stdout" ? "Output (stdout)" : "Errors (stderr)", "");
    $("panes").append(p);
    pre = p.querySelector("pre");
  }
  pre.append(text);
}

function setStatus(...parts) {
  $("status").replaceChildren(...parts);
}

function badge(text, kind) {
  return el("span", { class: `badge s-${kind}` }, text);
}

function showProblem(...parts) {
  const p = $("problem");
  p.replaceChildren(...parts);
  p.hidden = parts.length === 0;
}

function pane(name, title, text) {
  return el("section", { class: `pane ${name}`, "data-pane": name },
    el("h3", {}, title), el("pre", { tabindex: "0" }, text));
}

function figures(images) {
  return el("section", { class: "pane figures", "data-pane": "images" },
    el("h3", {}, images.length === 1 ? "Figure" : `Figures (${images.length})`),
    ...images.map((img, i) => el("figure", {},
      el("img", {
        src: img.url, alt: `Figure ${i + 1} of the run`, loading: "lazy",
        ...(img.width ? { width: img.width, height: img.height } : {}),
      }))));
}

function files(list) {
  return el("section", { class: "pane files", "data-pane": "files" },
    el("h3", {}, "Files written to output/"),
    el("ul", {}, ...list.map((f) => el("li", {},
      el("a", { href: f.url, download: f.name }, f.name),
      ` (${f.mime}, ${f.size} bytes)`))));
}

function tests(results, summary) {
  const rows = results.map((t, i) => el("tr", { class: t.passed ? "pass" : "fail" },
    el("td", {}, String(i + 1)),
    el("td", {}, t.passed ? "passed" : t.status === "completed" ? "failed" : t.status),
    el("td", {}, el("code", {}, t.input ?? "")),
    el("td", {}, el("pre", {}, t.expected_output ?? "")),
    el("td", {}, el("pre", {}, t.stdout + (t.stderr ? `\n${t.stderr}` : "")))));
  return el("section", { class: "pane tests", "data-pane": "tests" },
    el("h3", {}, `Test cases: ${summary.passed} of ${summary.total} passed`),
    el("div", { class: "scroll" }, el("table", {},
      el("thead", {}, el("tr", {}, ...["#", "Result", "Input", "Expected",
        "Output"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows))));
}

function renderRun(j) {
  const ok = j.status === "completed";
  const facts = [];
  if (j.exit_code !== null) facts.push(`exit code ${j.exit_code}`);
  if (j.signal !== null) facts.push(`signal ${j.signal}`);
  facts.push(seconds(j.execution_time));
  if (j.session_id) {
    facts.push(j.session_reset ? "session was reset"
      : j.session_created ? "new session" : "session kept");
  }
  setStatus(badge(j.status, ok ? "ok" : j.status === "error" ? "error" : "warn"),
    el("span", { class: "facts" }, facts.join(" · ")));

  const out = [];
  // result_text is stdout when the code doesn't end in an expression.
  if (j.result_text !== null && j.result_text !== j.stdout) {
    out.push(pane("value", "Value of the last expression", j.result_text));
  }
  if (j.stdout) out.push(pane("stdout", "Output (stdout)", j.stdout));
  if (j.stderr) out.push(pane("stderr", "Errors (stderr)", j.stderr));
  else if (j.error) out.push(pane("stderr", "Error", j.error));
  if (j.images.length) out.push(figures(j.images));
  if (j.files.length) out.push(files(j.files));
  if (j.test_results) out.push(tests(j.test_results, j.test_summary));
  if (!out.length) out.push(el("p", { class: "muted" }, "No output."));
  $("panes").replaceChildren(...out);

  const notes = [];
  if (j.truncated) notes.push("Output was cut at the server's limit.");
  if (j.images_dropped) notes.push(`${j.images_dropped} figure(s) or file(s) were over the limits and not kept.`);
  showProblem(...(notes.length ? [notes.join(" ")] : []));
}

function renderFailure(r) {
  const j = r.json || {};
  setStatus(badge(`HTTP ${r.status}`, "error"),
    el("span", { class: "facts" }, j.error || "not a JSON reply"));
  const parts = [el("strong", {}, j.error || `HTTP ${r.status}`), ": ",
    j.detail || "the server's reply was not JSON."];
  if (j.violations) {
    parts.push(el("ul", {}, ...j.violations.map((v) => el("li", {},
      `line ${v.line}, column ${v.col}: ${v.rule} ${v.name}`))));
  }
  if (r.status === 401) parts.push(" Enter your API key at the top (scripts/run prints it).");
  if (r.retryAfter) parts.push(` Try again in ${r.retryAfter} s.`);
  $("panes").replaceChildren();
  showProblem(...parts);
}

// ---- actions ----

function buildRequest() {
  const body = { code: editor.getCode() };
  const stdin = $("stdin").value;
  if (stdin) body.stdin = stdin;
  if ($("timeout").value) body.timeout = Number($("timeout").value);
  if ($("memory").value) body.max_memory_mb = Number($("memory").value);
  if ($("session").checked) body.session_id = sessionId;
  const cases = $("tests").value.trim();
  if (cases) body.test_cases = JSON.parse(cases);
  return body;
}

async function run() {
  if (running || !editor) return;
  let body;
  try {
    body = buildRequest();
  } catch (e) {
    setStatus(badge("not sent", "error"));
    showProblem(`The test cases are not valid JSON: ${e.message}`);
    return;
  }
  running = true;
  executionId = "playground-" + randomHex(8);
  body.execution_id = executionId;
  $("run").setAttribute("aria-busy", "true");
  $("run").textContent = "Running…";
  $("stop").disabled = false;
  setStatus(badge("running", "busy"));
  $("panes").replaceChildren();
  showProblem();
  try {
    const r = await streamExecute(body, showLive);
    if (r.status === 200 && r.json) renderRun(r.json);
    else renderFailure(r);
  } catch (e) {
    setStatus(badge("not sent", "error"));
    showProblem(`Could not reach pyexec: ${e.message}`);
  } finally {
    running = false;
    executionId = null;
    $("run").removeAttribute("aria-busy");
    $("run").textContent = "Run";
    $("stop").disabled = true;
  }
}

// The run ends "cancelled" with what it printed so far; its stream says so.
async function stop() {
  if (!executionId) return;
  $("stop").disabled = true;
  try {
    const r = await api(`executions/${executionId}/cancel`, {});
    if (r.status >= 400 && r.status !== 409) renderFailure(r);
  } catch (e) {
    showProblem(`Could not reach pyexec: ${e.message}`);
  }
}

async function resetSession() {
  try {
    const r = await api("release", { session_id: sessionId });
    if (r.status === 200 || r.status === 404) {
      setStatus(badge("session reset", "ok"), el("span", { class: "facts" },
        "The next run starts with a fresh interpreter."));
      $("panes").replaceChildren();
      showProblem();
    } else {
      renderFailure(r);
    }
  } catch (e) {
    showProblem(`Could not reach pyexec: ${e.message}`);
  }
}

async function makeEditor(doc) {
  const parent = $("editor");
  try {
    const { createEditor } = await import("./vendor/editor.js");
    return createEditor(parent, { doc, labelledBy: "code-label", onRun: run });
  } catch (e) {
    // Served without scripts/build-web's bundle: a plain text box works too.
    console.warn("no editor bundle, using a textarea:", e);
    const ta = el("textarea", { class: "plain-editor", spellcheck: "false",
      "aria-labelledby": "code-label" });
    ta.value = doc;
    parent.append(ta);
    return { getCode: () => ta.value, setCode: (t) => { ta.value = t; } };
  }
}

async function main() {
  const key = $("api-key");
  key.value = localStorage.getItem(KEY_STORE) || "";
  key.addEventListener("input", () => localStorage.setItem(KEY_STORE, key.value.trim()));

  const select = $("example");
  for (const ex of examples) select.append(el("option", { value: ex.id }, ex.label));
  select.addEventListener("change", () => {
    const ex = examples.find((x) => x.id === select.value);
    editor.setCode(ex.code);
    if (ex.session && !$("session").checked) $("session").click();
  });

  $("session").addEventListener("change", () => {
    $("reset").disabled = !$("session").checked;
  });
  $("reset").addEventListener("click", resetSession);
  $("run").addEventListener("click", run);
  $("stop").addEventListener("click", stop);
  // Ctrl/Cmd+Enter runs from anywhere; the editor handles its own.
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
      e.preventDefault();
      run();
    }
  });

  editor = await makeEditor(examples[0].code);
  document.body.dataset.ready = "true";
}

main();
