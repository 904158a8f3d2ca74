// The console page: pick an instance, see its effective configuration with the source of
// every value, edit the console (user) layer with live validation, preview, save.

import { el } from "./dom.js";
import { ApiError, api, auth } from "./api.js";
import { Editor, ParseError, format, parse } from "./editor.js";
import { applyChanges, changes, deleteAt, dotted, getAt, lineOf, parsePointer, setAt } from "./paths.js";
import { EffectiveTable, badge, layerLabel, rowsOf, setDraftLocator, show, sourceLabel, violationText, withSource } from "./table.js";
import { manifestDiff } from "./textdiff.js";

const DEBOUNCE_MS = 350;
const $ = (id) => document.getElementById(id);

const state = {
  ns: null, name: null,
  etag: null,          // ETag of the stored values this edit started from (null: none stored)
  base: {},            // the stored values as read (secrets as placeholders)
  doc: {},             // the editor's last parsed document
  secrets: new Map(),  // pointer -> new secret value, write-only: never shown, never in the editor
  stored: null,        // preview of the stored values
  draft: null,         // preview of the editor's document
  reveal: false,
  timer: null,
  inflight: null,      // the live check in flight (aborted by the next one)
  conflict: null,      // after a 412: their values and ETag, and my changes to re-apply
};

function status(message, kind = "info") {
  const s = $("status");
  s.textContent = message;
  s.dataset.kind = kind;
}

function explain(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) {
      auth.clear();
      showLogin();
      return "The token was refused (401): sign in again.";
    }
    const detail = typeof err.body.detail === "string" ? err.body.detail : JSON.stringify(err.body.detail);
    return `${err.status}: ${detail}`;
  }
  return err && err.name === "AbortError" ? "" : String(err && err.message ? err.message : err);
}

// -- sign-in -------------------------------------------------------------------------------
function showLogin() {
  $("login").hidden = false;
  $("session").hidden = true;
}

function showSession() {
  $("login").hidden = true;
  $("session").hidden = false;
}

async function loadInstances() {
  try {
    const { data } = await api.instances();
    const list = $("instance-list");
    list.replaceChildren(...data.instances.map((i) => el("option", { value: `${i.namespace}/${i.name}` })));
    if (!state.ns) {  // an instance opened meanwhile has said something newer
      status(data.instances.length ? `${data.instances.length} instance(s) found. Pick one and press Open.`
        : "No stored instances yet: type namespace/name to start one.");
    }
  } catch (err) {
    status(explain(err), "error");
  }
}

// -- instance -------------------------------------------------------------------------------
const table = new EffectiveTable($("effective"), {
  onOverride: (row) => editDoc(setAt(state.doc, parsePointer(row.pointer), row.value), row.pointer),
  onRemove: (row) => editDoc(deleteAt(state.doc, parsePointer(row.pointer)), null),
  onSecret: (row) => askSecret(row),
  isConsoleSet: (pointer) => getAt(state.doc, parsePointer(pointer)) !== undefined,
});
const editor = new Editor($("editor"), $("gutter"), () => schedule());

function userDraft() {
  let out = state.doc;
  for (const [pointer, value] of state.secrets) out = setAt(out, parsePointer(pointer), value);
  return out;
}

function instanceRef() {
  return { namespace: state.ns, name: state.name };
}

async function openInstance(text) {
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(text.trim());
  if (!m) {
    status("Type the instance as namespace/name (lowercase letters, digits, '-').", "error");
    return;
  }
  [state.ns, state.name] = [m[1], m[2]];
  state.secrets.clear();
  await loadInstance();
}

async function loadInstance() {
  status(`Loading ${state.ns}/${state.name}…`);
  let values = {};
  try {
    const got = await api.getValues(state.ns, state.name, state.reveal);
    values = got.data.values;
    state.etag = got.etag;
    setDraftLocator(got.data.source);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) {
      if (err instanceof ApiError && err.status === 403 && state.reveal) {
        state.reveal = false;
        $("reveal").checked = false;
        await loadInstance();
        status("Not allowed to reveal secret values (403); showing them masked.", "error");
        return;
      }
      status(explain(err), "error");
      return;
    }
    state.etag = null;
    setDraftLocator("");
  }
  state.base = values;
  state.doc = values;
  editor.setText(format(values, false));
  const request = state.etag ? { instance: instanceRef() } : { instance: instanceRef(), user: {} };
  try {
    const { data } = await api.preview(request, { reveal: state.reveal });
    state.stored = data;
    state.draft = null;
    showPreviewResult(data, false);
    $("workspace").hidden = false;
    $("preview").hidden = true;
    $("conflict").hidden = true;
    renderPending();
    await loadReleases(data.channel.channel);
    performance.mark("console:interactive");
    status(state.etag ? `Opened ${state.ns}/${state.name}.` : `${state.ns}/${state.name} has no console values yet; saving creates them.`);
  } catch (err) {
    status(explain(err), "error");
  }
}

/** Draft rows whose console value is the stored one are shown as stored (its file, not "unsaved"). */
function settled(rows) {
  const stored = winners(state.stored);
  return rows.map((row) => {
    const was = row.source === "request:user" ? stored.get(row.pointer) : null;
    const same = was && was.layer === "user" && JSON.stringify(was.value) === JSON.stringify(row.value);
    return same ? withSource(row, was.source) : row;
  });
}

function showPreviewResult(data, draft) {
  table.setRows(draft ? settled(rowsOf(data.provenance)) : rowsOf(data.provenance));
  const select = $("filter-layer");
  const chosen = select.value;
  const layers = data.layers.map((l) => l.name);
  select.replaceChildren(el("option", { value: "", text: "all layers" }),
    ...layers.map((name) => el("option", { value: name, text: name === "user" ? "console (user): only what the console sets" : name })));
  select.value = layers.includes(chosen) ? chosen : "";
  $("table-state").textContent = draft ? "Showing the configuration as it would be with your unsaved edits."
    : "Showing the stored configuration.";
  showProblems(data.violations || [], []);
  $("warnings-live").replaceChildren(...(data.warnings || []).map((w) => el("li", { class: "warning", text: `Warning: ${w.message}` })));
  showRelease(data);
}

function showRelease(data) {
  const ch = data.channel;
  $("release").hidden = false;
  $("rel-channel").textContent = ch.channel;
  $("rel-version").textContent = ch.version;
  $("rel-id").textContent = ch.releaseId;
  const pin = (data.provenance || []).find((c) => c.path === "/_releaseId" && c.status === "set");
  $("rel-pinned").textContent = pin ? `pinned by ${layerLabel(pin.winner.layer, pin.winner.source)} (${sourceLabel(pin.winner.source)})` : "latest of the channel (not pinned)";
}

async function loadReleases(channel) {
  const select = $("pin");
  try {
    const { data } = await api.releases(channel);
    const pinned = state.doc._releaseId;
    select.replaceChildren(el("option", { value: "", text: `latest of ${data.channel} (not pinned)` }),
      ...data.releases.map((r) => el("option", { value: r.releaseId,
        text: `${r.version} (${r.releaseId})${r.releaseId === data.latest ? " — latest" : ""}` })));
    const match = data.releases.find((r) => r.releaseId === pinned || r.version === pinned);
    select.value = match ? match.releaseId : "";
  } catch (err) {
    status(`Releases of ${channel}: ${explain(err)}`, "error");
  }
}

// -- editing ----------------------------------------------------------------------------------
function editDoc(doc, focusPointer) {
  editor.setText(format(doc, editor.isJson()));
  validateNow();
  if (focusPointer) {
    const line = lineOf(editor.text, parsePointer(focusPointer));
    if (line) editor.goToLine(line);
  }
}

function schedule() {
  clearTimeout(state.timer);
  if (state.inflight) state.inflight.abort();  // its answer is for a text that is gone
  $("validation").textContent = "Checking…";
  state.timer = setTimeout(validateNow, DEBOUNCE_MS);
}

async function validateNow() {
  clearTimeout(state.timer);
  $("validation").textContent = "Checking…";
  let doc;
  try {
    doc = parse(editor.text);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    const where = err.line ? `line ${err.line}: ` : "";
    showProblems([], [{ line: err.line, text: `${where}${err.message} (the editor's text is not valid YAML/JSON)` }]);
    $("validation").textContent = "Not valid YAML/JSON.";
    return;
  }
  state.doc = doc;
  if (state.inflight) state.inflight.abort();
  const controller = new AbortController();
  state.inflight = controller;
  try {
    const { data } = await api.preview({ instance: instanceRef(), user: userDraft() },
      { reveal: state.reveal, signal: controller.signal });
    if (controller.signal.aborted) return;
    state.draft = data;
    showPreviewResult(data, true);
    $("validation").textContent = data.ok ? "Valid: the would-be configuration passes the chart's schema."
      : `${data.violations.length} problem(s): nothing can be saved until they are fixed.`;
    syncPin();
  } catch (err) {
    if (err && err.name === "AbortError") return;
    if (err instanceof ApiError && err.status === 422 && Array.isArray(err.body.detail)) {
      showProblems([], err.body.detail.map((d) => ({ line: 0, text: `${(d.loc || []).join(".")}: ${d.msg}` })));
    } else {
      showProblems([], [{ line: 0, text: explain(err) }]);
    }
    $("validation").textContent = "Could not check the values.";
  } finally {
    if (state.inflight === controller) state.inflight = null;
  }
}

function syncPin() {
  const pinned = state.doc._releaseId;
  const select = $("pin");
  const option = [...select.options].find((o) => o.value && (o.value === pinned || o.textContent.startsWith(`${pinned} (`)));
  select.value = option ? option.value : "";
}

/** Violations (from the service) and local problems, at their editor line and table row. */
function showProblems(violations, local) {
  const byPointer = new Map();
  const marks = new Map();
  const items = [];
  for (const p of local) {
    if (p.line) marks.set(p.line, p.text);
    items.push(el("li", { class: "problem" }, el("span", { text: p.text })));
  }
  for (const v of violations) {
    const list = byPointer.get(v.path) || [];
    list.push(v);
    byPointer.set(v.path, list);
    const line = v.layer === "user" ? lineOf(editor.text, parsePointer(v.path)) : 0;
    const text = `${line ? `Line ${line}: ` : ""}${dotted(v.path) || "/"}: ${violationText(v)}`;
    if (line) marks.set(line, text);
    const li = el("li", { class: "problem" }, el("span", { text }));
    const toRow = el("button", { type: "button", text: "Show row", "aria-label": `Show the row of ${dotted(v.path)}` });
    toRow.addEventListener("click", () => table.reveal(v.path)?.querySelector("button")?.focus());
    li.append(" ", toRow);
    if (line) {
      const toLine = el("button", { type: "button", text: "Go to line", "aria-label": `Go to line ${line} in the editor` });
      toLine.addEventListener("click", () => editor.goToLine(line));
      li.append(" ", toLine);
    }
    items.push(li);
  }
  $("problems").replaceChildren(...items);
  table.setProblems(byPointer);
  editor.setMarks(marks);
}

// -- write-only secrets --------------------------------------------------------------------------
let secretRow = null;

function askSecret(row) {
  secretRow = row;
  $("secret-label").textContent = `New value for ${row.dotted} (write-only)`;
  $("secret-form").hidden = false;
  $("secret-input").value = "";
  $("secret-input").focus();
}

function closeSecret() {
  $("secret-input").value = "";
  $("secret-form").hidden = true;
  secretRow = null;
}

function renderPending() {
  const items = [...state.secrets.keys()].map((pointer) => {
    const drop = el("button", { type: "button", text: "Discard", "aria-label": `Discard the new value of ${dotted(pointer)}` });
    drop.addEventListener("click", () => {
      state.secrets.delete(pointer);
      renderPending();
      validateNow();
    });
    return el("li", {}, el("span", { text: `${dotted(pointer)}: new value set (write-only, saved with the next save) ` }), drop);
  });
  $("pending").replaceChildren(...items);
  table.setPending(state.secrets.keys());
}

// -- preview and save ---------------------------------------------------------------------------
function changeRow(path, before, after, origin) {
  const setBy = el("td", {});
  if (origin) setBy.append(badge(origin.layer, origin.source), " ", el("code", { text: sourceLabel(origin.source) }));
  return el("tr", {}, el("th", { scope: "row" }, el("code", { text: path })),
    el("td", {}, el("code", { text: show(before) })), el("td", {}, el("code", { text: show(after) })), setBy);
}

function winners(preview) {
  return new Map((preview?.provenance || []).filter((c) => c.status === "set" && c.winner).map((c) => [c.path, c.winner]));
}

async function openPreview() {
  await validateNow();
  if (!state.draft) return;
  status("Rendering the preview…");
  const render = { enabled: true, releaseName: state.name, namespace: state.ns };
  try {
    const [draft, stored] = await Promise.all([
      api.preview({ instance: instanceRef(), user: userDraft(), render }, { reveal: state.reveal }),
      api.preview(state.etag ? { instance: instanceRef(), render } : { instance: instanceRef(), user: {}, render }, { reveal: state.reveal }),
    ]);
    renderPreview(draft.data, stored.data);
    $("preview").hidden = false;
    $("preview").focus();
    status(draft.data.ok ? "Preview ready: check it, then Save." : "The draft is invalid: fix the problems before saving.", draft.data.ok ? "info" : "error");
  } catch (err) {
    status(explain(err), "error");
  }
}

function renderPreview(draft, stored) {
  const before = winners(stored), after = winners(draft);
  const rows = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(path), b = after.get(path);
    if (a && b && JSON.stringify(a.value) === JSON.stringify(b.value)) continue;
    rows.push(changeRow(dotted(path), a?.value, b?.value, b || a));
  }
  $("draft-changes").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "4", text: "No value changes." }))]));
  const diff = draft.diff;
  $("active-block").hidden = !(diff && diff.active);
  if (diff && diff.active) {
    const activeRows = diff.changes.map((c) => changeRow(c.dotted, c.old, c.new, c.newOrigin || c.oldOrigin));
    $("active-changes").replaceChildren(...(activeRows.length ? activeRows : [el("tr", {}, el("td", { colspan: "4", text: "Same as the active spec." }))]));
  }
  const warnings = (draft.warnings || []).map((w) => el("li", { class: "warning", text: w.message }));
  $("warnings").replaceChildren(...(warnings.length ? warnings : [el("li", { text: "None." })]));
  const docs = manifestDiff(stored.manifests, draft.manifests);
  const blocks = docs.map((d) => {
    const pre = el("pre", { class: "diff" });
    for (const [op, line] of d.lines) {
      pre.append(el("span", { class: op === "+" ? "add" : op === "-" ? "del" : "ctx", text: `${op} ${line}\n` }));
    }
    return el("details", { open: "" }, el("summary", { text: `${d.key} (${d.status})` }), pre);
  });
  const none = draft.manifests ? "No manifest changes." : "No manifests: the draft is invalid.";
  $("manifest-diff").replaceChildren(...(blocks.length ? blocks : [el("p", { text: none })]));
  $("preview-summary").replaceChildren(el("p", {
    text: `${rows.length} value change(s), ${docs.length} manifest document(s) changed, ${draft.violations.length} violation(s).`,
  }));
  $("save").disabled = !draft.ok;
}

async function save() {
  status("Saving…");
  try {
    const { data, etag } = await api.putValues(state.ns, state.name, userDraft(), state.etag);
    state.etag = etag || data.etag;
    state.secrets.clear();
    await loadInstance();
    status(`Saved ${state.ns}/${state.name} (ETag ${state.etag}).`, "ok");
    $("open").focus();
  } catch (err) {
    if (err instanceof ApiError && err.status === 412) return conflict();
    if (err instanceof ApiError && err.status === 422) {
      const placeholders = (err.body.placeholders || []).map((p) => ({ line: lineOf(editor.text, parsePointer(p)),
        text: `${dotted(p)}: a <redacted …> placeholder that stands for no stored value` }));
      showProblems(err.body.violations || [], placeholders);
      $("preview").hidden = true;
      status(`Not saved (422): ${err.body.detail}. Your text is kept; fix it and save again.`, "error");
      $("editor").focus();
      return;
    }
    status(explain(err), "error");
  }
}

async function conflict() {
  try {
    const theirs = await api.getValues(state.ns, state.name, state.reveal);
    const mine = changes(state.base, state.doc);
    const their = changes(state.base, theirs.data.values);
    const render = (list, target) => $(target).replaceChildren(...(list.length ? list.map((c) =>
      el("tr", {}, el("th", { scope: "row" }, el("code", { text: dotted(c.pointer) })),
        el("td", {}, el("code", { text: show(c.old) })), el("td", {}, el("code", { text: c.change === "removed" ? "(removed)" : show(c.new) }))))
      : [el("tr", {}, el("td", { colspan: "3", text: "No changes." }))]));
    render(their, "their-changes");
    render(mine, "my-changes");
    state.conflict = { theirs: theirs.data.values, etag: theirs.etag, mine };
    $("preview").hidden = true;
    $("conflict").hidden = false;
    $("conflict").focus();
    status("Not saved (412): someone else saved first. Review their change, then re-apply yours on top.", "error");
  } catch (err) {
    status(explain(err), "error");
  }
}

function reapply() {
  const c = state.conflict;
  state.base = c.theirs;
  state.etag = c.etag;
  $("conflict").hidden = true;
  editDoc(applyChanges(c.theirs, c.mine), null);
  status("Your changes are re-applied on top of the other edit: preview and save again.");
  $("preview-btn").focus();
}

// -- wiring --------------------------------------------------------------------------------------
$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const token = $("token").value;
  $("token").value = "";
  auth.set(token);
  try {
    await api.instances();
    showSession();
    await loadInstances();
    $("instance").focus();
  } catch (err) {
    auth.clear();
    status(err instanceof ApiError && err.status === 401 ? "That token was refused." : explain(err), "error");
    $("token").focus();
  }
});
$("signout").addEventListener("click", () => {
  auth.clear();
  location.reload();
});
$("open-form").addEventListener("submit", (e) => {
  e.preventDefault();
  openInstance($("instance").value);
});
$("reveal").addEventListener("change", () => {
  state.reveal = $("reveal").checked;
  if (state.ns) loadInstance();
});
$("filter-text").addEventListener("input", (e) => table.setFilter({ text: e.target.value }));
$("filter-layer").addEventListener("change", (e) => table.setFilter({ layer: e.target.value }));
$("filter-overridden").addEventListener("change", (e) => table.setFilter({ overridden: e.target.checked }));
$("pin").addEventListener("change", (e) => {
  const value = e.target.value;
  editDoc(value ? { ...state.doc, _releaseId: value } : deleteAt(state.doc, ["_releaseId"]), null);
});
$("secret-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const value = $("secret-input").value;
  if (secretRow && value) {
    state.secrets.set(secretRow.pointer, value);
    renderPending();
    validateNow();
    status(`A new value for ${secretRow.dotted} will be saved with the next save.`);
  }
  closeSecret();
  $("preview-btn").focus();
});
$("secret-input").addEventListener("keydown", (e) => {
  if (e.key === "Escape") { e.preventDefault(); closeSecret(); }
});
$("secret-cancel").addEventListener("click", closeSecret);
$("preview-btn").addEventListener("click", openPreview);
$("close-preview").addEventListener("click", () => { $("preview").hidden = true; $("editor").focus(); });
$("save").addEventListener("click", save);
$("revert").addEventListener("click", () => { state.secrets.clear(); loadInstance(); });
$("reapply").addEventListener("click", reapply);
$("take-theirs").addEventListener("click", () => { $("conflict").hidden = true; state.secrets.clear(); loadInstance(); });

if (auth.token()) {
  showSession();
  loadInstances();
} else {
  showLogin();
}
