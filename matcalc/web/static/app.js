// matcalc's page: the form, its state in the address, the derivation streamed from the
// server (/api/derive?stream=1), and the gallery. Every text from the server or the
// address is inserted with textContent or typeset by KaTeX (trust: false); nothing is
// parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const STRUCTURES = ["general", "symmetric", "spd", "invertible", "orthogonal", "diagonal",
                    "positive"];
const LAYOUTS = {gradient: ["denominator", "numerator"], jacobian: ["numerator", "denominator"],
                 hessian: ["denominator"]};
const LHS = {gradient: (x) => `\\nabla_{${x}} f`, jacobian: () => "J",
             hessian: () => "H"};

const state = {expression: "x'*A*x", kind: "gradient", wrt: "", layout: "", structure: "",
               shapes: {}, assume: {}};
let symbolsTimer = null, symbolsSeq = 0, running = null, lastResult = null;
let codeBackend = "numpy", galleryEntry = null;

// ---------------------------------------------------------------- the address --------
function readAddress() {
  const q = new URLSearchParams(location.search);
  if (q.has("e")) state.expression = q.get("e");
  if (LAYOUTS[q.get("d")]) state.kind = q.get("d");
  state.wrt = q.get("wrt") || "";
  state.layout = q.get("layout") || "";
  state.structure = q.get("structure") || "";
  for (const [key, value] of q) {
    if (key.startsWith("s.")) state.shapes[key.slice(2)] = value;
    if (key.startsWith("a.")) state.assume[key.slice(2)] = value;
  }
  return q.has("e");
}

function writeAddress() {
  const q = new URLSearchParams();
  q.set("e", state.expression);
  q.set("d", state.kind);
  if (state.wrt) q.set("wrt", state.wrt);
  if (state.layout && state.layout !== LAYOUTS[state.kind][0]) q.set("layout", state.layout);
  if (state.structure) q.set("structure", state.structure);
  for (const [name, shape] of Object.entries(state.shapes)) q.set("s." + name, shape);
  for (const [name, s] of Object.entries(state.assume)) q.set("a." + name, s);
  history.replaceState(null, "", "?" + q.toString());
}

// ---------------------------------------------------------------- the form -----------
function fillForm() {
  $("expression").value = state.expression;
  for (const radio of document.querySelectorAll("input[name=kind]"))
    radio.checked = radio.value === state.kind;
  fillLayouts();
  $("structure").value = state.structure;
  $("structure").disabled = state.kind !== "gradient";
}

function fillLayouts() {
  const select = $("layout");
  select.replaceChildren();
  for (const layout of LAYOUTS[state.kind]) select.append(new Option(layout, layout));
  if (!LAYOUTS[state.kind].includes(state.layout)) state.layout = LAYOUTS[state.kind][0];
  select.value = state.layout;
  select.disabled = LAYOUTS[state.kind].length < 2;
}

function request(extra) {
  const body = {expression: state.expression, kind: state.kind, shapes: state.shapes,
                assume: state.assume, layout: state.layout || null,
                structure: state.kind === "gradient" && state.structure ? state.structure : null};
  if (state.wrt) body.wrt = state.wrt;
  return Object.assign(body, extra || {});
}

async function post(path, body, signal) {
  return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                      body: JSON.stringify(body), signal});
}

// ---------------------------------------------------------------- errors -------------
function showError(error) {
  const box = $("error"), caret = $("error-caret");
  caret.replaceChildren();
  if (error && error.type === "ParseError" && Number.isInteger(error.position)) {
    const text = error.text ?? state.expression;
    const mark = document.createElement("span");
    mark.className = "caret";
    mark.textContent = " ".repeat(error.position) + "^";
    caret.append(document.createTextNode(text + "\n"), mark);
    caret.hidden = false;
    const input = $("expression");
    input.setAttribute("aria-invalid", "true");
    if (document.activeElement === input && input.value === text)
      input.setSelectionRange(error.position, Math.min(text.length, error.position + 1));
  } else {
    caret.hidden = true;
  }
  $("error-message").textContent = error ? `${error.type}: ${error.message}` +
    (Number.isInteger(error.position) ? ` (column ${error.position + 1})` : "") : "";
  box.hidden = !error;
  if (!error || error.type !== "ParseError")
    $("expression").removeAttribute("aria-invalid");
}

// ---------------------------------------------------------------- the names table ----
function scheduleSymbols() {
  clearTimeout(symbolsTimer);
  symbolsTimer = setTimeout(refreshSymbols, 250);
}

async function refreshSymbols() {
  const seq = ++symbolsSeq;
  if (!state.expression.trim()) { showError(null); return; }
  let response, data;
  try {
    response = await post("/api/symbols", request({check: false, code: false}));
    data = await response.json();
  } catch (err) { return; }
  if (seq !== symbolsSeq) return;  // a newer edit is on its way
  $("symbols").classList.toggle("stale", !response.ok);  // the names of the last good text
  if (!response.ok) { showError(data.error); return; }
  showError(null);
  const present = new Set(data.symbols.map((s) => s.name));
  for (const table of [state.shapes, state.assume])
    for (const name of Object.keys(table)) if (!present.has(name)) delete table[name];
  fillSymbols(data.symbols);
  fillVariables(data.symbols, data.wrt);
}

function fillSymbols(symbols) {
  const body = $("symbols").querySelector("tbody");
  body.replaceChildren();
  for (const s of symbols) {
    const row = body.insertRow();
    row.dataset.name = s.name;
    row.classList.toggle("declared", s.declared);
    row.insertCell().textContent = s.name;
    const shape = document.createElement("input");
    shape.value = s.shape;
    shape.setAttribute("aria-label", `shape of ${s.name}`);
    shape.addEventListener("change", () => {
      const value = shape.value.trim();
      if (value) state.shapes[s.name] = value; else delete state.shapes[s.name];
      writeAddress(); scheduleSymbols();
    });
    row.insertCell().append(shape);
    const select = document.createElement("select");
    select.setAttribute("aria-label", `structure of ${s.name}`);
    for (const name of STRUCTURES) select.append(new Option(name, name));
    select.value = s.structure;
    select.disabled = s.kind === "scalar";
    select.addEventListener("change", () => {
      if (select.value === "general") delete state.assume[s.name];
      else state.assume[s.name] = select.value;
      writeAddress(); scheduleSymbols();
    });
    row.insertCell().append(select);
  }
}

function fillVariables(symbols, chosen) {
  const select = $("wrt");
  select.replaceChildren();
  for (const s of symbols) if (s.kind !== "scalar") select.append(new Option(s.name, s.name));
  select.value = state.wrt && [...select.options].some((o) => o.value === state.wrt)
    ? state.wrt : (chosen || "");
}

// ---------------------------------------------------------------- deriving ------------
async function derive() {
  if (running) running.abort();
  const controller = new AbortController();
  running = controller;
  state.wrt = $("wrt").value || state.wrt;
  writeAddress();
  const started = performance.now();
  let stage = "starting";
  const tick = () => {
    $("progress").textContent = `${stage}… ${((performance.now() - started) / 1000).toFixed(1)} s`;
  };
  tick();
  const timer = setInterval(tick, 100);
  $("cancel").hidden = false;
  $("derive").disabled = true;
  try {
    const response = await post("/api/derive?stream=1", request(), controller.signal);
    if (!response.ok) {  // refused before any work: malformed or too large
      const data = await response.json();
      throw {shown: data.error};
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "", outcome = null;
    while (!outcome) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const message = JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        if (message.progress) { stage = message.progress; tick(); }
        else outcome = message;
      }
    }
    if (!outcome) throw {shown: {type: "ConnectionError", message: "the server closed the connection"}};
    if (outcome.error) throw {shown: outcome.error};
    showError(null);
    render(outcome.result);
    $("progress").textContent = `done in ${outcome.seconds.toFixed(2)} s`;
  } catch (err) {
    if (controller.signal.aborted) {
      $("progress").textContent = "cancelled";
    } else {
      showError(err.shown || {type: "ConnectionError", message: String(err)});
      $("progress").textContent = "";
      $("output").hidden = true;  // an earlier result must not pass for this input's
    }
  } finally {
    clearInterval(timer);
    if (running === controller) running = null;
    $("cancel").hidden = true;
    $("derive").disabled = false;
  }
}

function typeset(element, latex, display) {
  try {
    katex.render(latex, element, {displayMode: display, throwOnError: false, trust: false,
                                  maxSize: 50, maxExpand: 1000, output: "htmlAndMathml"});
  } catch (err) {
    element.textContent = latex;
  }
}

function render(result) {
  lastResult = result;
  $("output").hidden = false;
  const lhs = LHS[result.kind](result.wrt);
  const note = result.kind === "gradient" && result.layout === "numerator"
    ? `\\frac{\\partial f}{\\partial ${result.wrt}}` : lhs;
  typeset($("result-math"), `${note} = ${result.result.latex}`, true);
  $("result-math").dataset.latex = result.result.latex;
  const shape = result.result.shape === "scalar" ? "a scalar" :
    result.result.shape.includes(",") ? result.result.shape.replace(",", " × ") :
    result.result.shape + " × 1";
  $("result-shape").textContent =
    `${result.kind} of ${result.expression.text} with respect to ${result.wrt}: ${shape}` +
    (result.kind !== "hessian" ? `, ${result.layout} layout` : "") +
    (result.structure ? `, structure ${result.structure}` : "");
  $("latex-text").textContent = result.result.latex;
  $("plain-text").textContent = result.result.text;
  renderCatalogueNote(result);
  renderCheck(result.check);
  renderSteps(result);
  renderCode();
}

function renderCatalogueNote(result) {
  const box = $("catalogue-note");
  const entry = galleryEntry;
  box.hidden = !(entry && entry.expression === result.input.expression);
  if (box.hidden) return;
  box.textContent = `${entry.id} (${entry.source}) states: ${entry.result}` +
    (entry.status === "erratum" ? ` (an erratum; corrected: ${entry.corrected})` : "") +
    (entry.note ? `. ${entry.note}` : "");
}

function renderCheck(check) {
  const box = $("check");
  box.replaceChildren();
  if (!check) { box.textContent = "not requested"; return; }
  const line = document.createElement("p");
  const badge = document.createElement("span");
  badge.className = `badge ${check.verdict}`;
  badge.textContent = check.verdict.toUpperCase();
  const error = check.max_rel_error == null ? "not finite" : check.max_rel_error.toExponential(2);
  const method = {richardson: "Richardson-extrapolated central differences",
                  directional: "directional central differences"}[check.method] || check.method;
  line.append(badge, document.createTextNode(
    `max relative error ${error} (tolerance ${check.rtol.toExponential(0)}) over ` +
    `${check.points} random point${check.points === 1 ? "" : "s"}, ${method}`));
  box.append(line);
  const sizes = document.createElement("p");
  sizes.className = "muted";
  sizes.textContent = "sizes: " + check.sizes.map((s) => Object.entries(s)
    .map(([d, v]) => `${d}=${v}`).join(", ") || "fixed").join("; ");
  box.append(sizes);
  for (const text of [check.reason, check.warning !== check.reason ? check.warning : ""]) {
    if (!text) continue;
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    box.append(p);
  }
}

function stepLhs(step, result) {
  if (step.lhs === "df") return "\\mathrm{d}f";
  if (step.lhs === "dF") return "\\mathrm{d}F";
  if (step.lhs.startsWith("grad_")) return LHS.gradient(result.wrt);
  return LHS[result.kind](result.wrt);
}

function renderSteps(result) {
  const list = $("steps");
  list.replaceChildren();
  for (const step of result.steps) {
    const item = document.createElement("li");
    const row = document.createElement("div");
    row.className = "step";
    const math = document.createElement("div");
    math.className = "math";
    typeset(math, `${stepLhs(step, result)} = ${step.latex}`, false);
    const rule = document.createElement("span");
    rule.className = "rule";
    rule.textContent = step.rule;
    row.append(math, rule);
    item.append(row);
    list.append(item);
  }
}

function renderCode() {
  const code = lastResult && lastResult.code;
  for (const tab of document.querySelectorAll("#code-tabs [role=tab]"))
    tab.setAttribute("aria-selected", String(tab.dataset.backend === codeBackend));
  const entry = code ? code[codeBackend] : null;
  $("code-text").textContent = !code ? "code generation was not requested" :
    entry.source || `# ${entry.error}`;
}

// ---------------------------------------------------------------- copying -------------
async function copy(button) {
  const text = $(button.dataset.copy).textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {  // no clipboard permission: select the text for Ctrl-C
    const range = document.createRange();
    range.selectNodeContents($(button.dataset.copy));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    document.execCommand("copy");
  }
  button.dataset.copied = text;
  button.classList.add("copied");
  button.textContent = "Copied";
  setTimeout(() => { button.classList.remove("copied"); button.textContent = "Copy"; }, 1500);
}

// ---------------------------------------------------------------- the gallery ---------
let gallery = null;

async function openGallery() {
  $("gallery").showModal();
  if (gallery) return;
  $("gallery-status").textContent = "loading the catalogue…";
  try {
    const response = await fetch("/api/gallery");
    const data = await response.json();
    if (!response.ok) throw new Error(data.error.message);
    gallery = data.identities;
    $("gallery-status").textContent =
      `${gallery.length} identities from the Matrix Cookbook, MML chapter 5 and ML staples`;
    fillGallery();
  } catch (err) {
    $("gallery-status").textContent = `could not load the catalogue: ${err.message}`;
  }
}

function fillGallery() {
  const needle = $("gallery-filter").value.trim().toLowerCase();
  const list = $("gallery-list");
  list.replaceChildren();
  let section = null;
  for (const entry of gallery) {
    const haystack = `${entry.id} ${entry.source} ${entry.expression} ${entry.title}`.toLowerCase();
    if (needle && !haystack.includes(needle)) continue;
    if (entry.section !== section) {
      section = entry.section;
      const heading = document.createElement("h3");
      heading.textContent = `${entry.title} (${entry.section})`;
      list.append(heading);
    }
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.id = entry.id;
    const id = document.createElement("span");
    id.className = "gid";
    id.textContent = entry.id;
    const expr = document.createElement("span");
    expr.className = "gexpr";
    expr.textContent = entry.expression;
    const kind = document.createElement("span");
    kind.className = "gkind";
    kind.textContent = `${entry.kind} w.r.t. ${entry.wrt}`;
    button.title = entry.source;
    button.append(id, expr, kind);
    button.addEventListener("click", () => openIdentity(entry));
    list.append(button);
  }
}

function openIdentity(entry) {
  galleryEntry = entry;
  state.expression = entry.expression;
  state.kind = entry.kind;
  state.wrt = entry.wrt;
  state.layout = entry.layout || "";
  state.structure = entry.structure || "";
  state.shapes = Object.assign({}, entry.shapes);
  for (const name of entry.scalars) state.shapes[name] = "scalar";
  state.assume = Object.assign({}, entry.assume);
  $("gallery").close();
  fillForm();
  writeAddress();
  refreshSymbols().then(derive);
}

// ---------------------------------------------------------------- wiring --------------
function start() {
  const derivesNow = readAddress();
  fillForm();
  $("expression").addEventListener("input", () => {
    state.expression = $("expression").value;
    galleryEntry = null;
    scheduleSymbols();
  });
  for (const radio of document.querySelectorAll("input[name=kind]"))
    radio.addEventListener("change", () => {
      state.kind = radio.value;
      fillForm(); writeAddress();
    });
  $("wrt").addEventListener("change", () => { state.wrt = $("wrt").value; writeAddress(); });
  $("layout").addEventListener("change", () => { state.layout = $("layout").value; writeAddress(); });
  $("structure").addEventListener("change", () => {
    state.structure = $("structure").value; writeAddress();
  });
  $("form").addEventListener("submit", (event) => { event.preventDefault(); derive(); });
  $("cancel").addEventListener("click", () => { if (running) running.abort(); });
  for (const button of document.querySelectorAll("button.copy"))
    button.addEventListener("click", () => copy(button));
  for (const tab of document.querySelectorAll("#code-tabs [role=tab]"))
    tab.addEventListener("click", () => { codeBackend = tab.dataset.backend; renderCode(); });
  $("gallery-open").addEventListener("click", openGallery);
  $("gallery-close").addEventListener("click", () => $("gallery").close());
  $("gallery-filter").addEventListener("input", () => gallery && fillGallery());
  const ready = refreshSymbols();
  if (derivesNow) ready.then(derive);
}

document.addEventListener("DOMContentLoaded", start);
