// The effective configuration table: one row per leaf of a preview's provenance, filtered
// and paged (a page is rendered, never the 5,000 rows at once). Values are written with
// textContent only. Secrets arrive masked from the service and stay so.

import { el } from "./dom.js";
import { isSecretPlaceholder } from "./paths.js";

export const PAGE_SIZE = 50;

export function show(value) {
  if (value === undefined) return "(unset)";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export function layerLabel(layer, source) {
  if (layer === "user") return source === "request:user" ? "console (draft)" : "console";
  return layer;
}

let draftLocator = "";

/** Where the console layer is stored: a draft's values ("request:user") are shown as bound for it. */
export function setDraftLocator(locator) {
  draftLocator = locator;
}

export function sourceLabel(source) {
  return source === "request:user" ? "unsaved edit" : source;
}

function sourceCell(source) {
  const attrs = { class: "source" };
  if (source === "request:user" && draftLocator) attrs.title = `saved to ${draftLocator}`;
  return el("td", attrs, el("code", { text: sourceLabel(source) }));
}

/** "message — value from layer X (source)" for a violation (the draft's source goes without saying). */
export function violationText(v) {
  const where = v.source && v.source !== "request:user" ? ` (${v.source})` : "";
  return `${v.message} — value from layer ${layerLabel(v.layer || "?", v.source)}${where}`;
}

export function badge(layer, source) {
  return el("span", { class: `badge layer-${layer.replace(/[^a-z0-9-]/g, "")}`, text: layerLabel(layer, source) });
}

/** `row` located at `source`, with the text the filter searches (path, value, source). */
export function withSource(row, source) {
  return { ...row, source, haystack: `${row.dotted}\n${show(row.value)}\n${source}`.toLowerCase() };
}

/** Rows of a preview response's `provenance` (set leaves only). */
export function rowsOf(provenance) {
  return (provenance || [])
    .filter((c) => c.status === "set" && c.winner)
    .map((c) => withSource({
      pointer: c.path,
      dotted: c.dotted,
      value: c.winner.value,
      layer: c.winner.layer,
      shadowed: c.shadowed || [],
      secret: isSecretPlaceholder(c.winner.value),
    }, c.winner.source));
}

export class EffectiveTable {
  constructor(root, { onOverride, onRemove, onSecret, isConsoleSet }) {
    this.body = root.querySelector("tbody");
    this.count = document.getElementById("table-count");
    this.pageInfo = document.getElementById("page-info");
    this.prev = document.getElementById("page-prev");
    this.next = document.getElementById("page-next");
    this.actions = { onOverride, onRemove, onSecret, isConsoleSet };
    this.rows = [];
    this.filtered = [];
    this.page = 0;
    this.expanded = new Set();
    this.problems = new Map();
    this.pending = new Set();
    this.filter = { text: "", layer: "", overridden: false };
    this.prev.addEventListener("click", () => this.go(this.page - 1));
    this.next.addEventListener("click", () => this.go(this.page + 1));
  }

  setRows(rows) {
    this.rows = rows;
    this.apply(false);
  }

  setFilter(filter) {
    this.filter = { ...this.filter, ...filter };
    this.apply(true);
  }

  setProblems(byPointer) {
    this.problems = byPointer;
    this.render();
  }

  setPending(pointers) {
    this.pending = new Set(pointers);
    this.render();
  }

  layers() {
    return [...new Set(this.rows.map((r) => r.layer))];
  }

  apply(resetPage) {
    const { text, layer, overridden } = this.filter;
    const needle = text.trim().toLowerCase();
    this.filtered = this.rows.filter((r) =>
      (!needle || r.haystack.includes(needle)) &&
      (!layer || r.layer === layer) &&
      (!overridden || r.shadowed.length > 0));
    if (resetPage) this.page = 0;
    this.page = Math.min(this.page, Math.max(0, this.pages() - 1));
    this.render();
  }

  pages() {
    return Math.ceil(this.filtered.length / PAGE_SIZE);
  }

  go(page) {
    if (page < 0 || page >= this.pages()) return;
    this.page = page;
    this.render();
  }

  /** Show the page holding `pointer` (a violation's row), clearing filters that hide it. */
  reveal(pointer) {
    let index = this.filtered.findIndex((r) => r.pointer === pointer);
    if (index < 0) {
      this.filter = { text: "", layer: "", overridden: false };
      this.apply(false);
      index = this.filtered.findIndex((r) => r.pointer === pointer);
    }
    if (index < 0) return null;
    this.page = Math.floor(index / PAGE_SIZE);
    this.render();
    return this.body.querySelector(`tr[data-pointer="${CSS.escape(pointer)}"]`);
  }

  render() {
    const start = this.page * PAGE_SIZE;
    const slice = this.filtered.slice(start, start + PAGE_SIZE);
    const frag = document.createDocumentFragment();
    for (const row of slice) this.renderRow(frag, row);
    this.body.replaceChildren(frag);
    const total = this.rows.length;
    const shown = this.filtered.length;
    this.count.textContent = shown === total ? `${total} values` : `${shown} of ${total} values match`;
    const pages = Math.max(1, this.pages());
    this.pageInfo.textContent = shown ? `Page ${this.page + 1} of ${pages} (rows ${start + 1}–${start + slice.length})` : "No rows";
    this.prev.disabled = this.page <= 0;
    this.next.disabled = this.page >= pages - 1;
  }

  renderRow(frag, row) {
    const problem = this.problems.get(row.pointer);
    const tr = el("tr", { "data-pointer": row.pointer, class: problem ? "invalid" : "" });
    const pathCell = el("th", { scope: "row", class: "path" }, el("code", { text: row.dotted }));
    if (problem) {
      for (const p of problem) {
        pathCell.append(el("div", { class: "violation", role: "note", text: violationText(p) }));
      }
    }
    const valueText = this.pending.has(row.pointer) ? "new value pending (write-only)" : show(row.value);
    const valueCell = el("td", { class: row.secret ? "value secret" : "value" }, el("code", { text: valueText }));
    const layerCell = el("td", {}, badge(row.layer, row.source));
    const source = sourceCell(row.source);
    const actions = el("td", { class: "actions" });
    if (row.shadowed.length) {
      const open = this.expanded.has(row.pointer);
      const b = el("button", { type: "button", "aria-expanded": String(open), class: "expand",
        "aria-label": `${open ? "Hide" : "Show"} ${row.shadowed.length} shadowed value(s) of ${row.dotted}`,
        text: `${open ? "▾" : "▸"} ${row.shadowed.length} shadowed` });
      b.addEventListener("click", () => {
        if (this.expanded.has(row.pointer)) this.expanded.delete(row.pointer); else this.expanded.add(row.pointer);
        this.render();
        this.body.querySelector(`tr[data-pointer="${CSS.escape(row.pointer)}"] button.expand`)?.focus();
      });
      actions.append(b);
    }
    if (row.secret) {
      const b = el("button", { type: "button", class: "set-secret", text: "Set secret…",
        "aria-label": `Set a new value for ${row.dotted} (write-only)` });
      b.addEventListener("click", () => this.actions.onSecret(row, tr));
      actions.append(b);
    } else if (this.actions.isConsoleSet(row.pointer)) {
      const b = el("button", { type: "button", class: "remove", text: "Remove override",
        "aria-label": `Remove the console override of ${row.dotted}` });
      b.addEventListener("click", () => this.actions.onRemove(row));
      actions.append(b);
    } else {
      const b = el("button", { type: "button", class: "override", text: "Override here",
        "aria-label": `Override ${row.dotted} in the console layer` });
      b.addEventListener("click", () => this.actions.onOverride(row));
      actions.append(b);
    }
    tr.append(pathCell, valueCell, layerCell, source, actions);
    frag.append(tr);
    if (this.expanded.has(row.pointer)) {
      for (const s of row.shadowed) {
        const shadow = el("tr", { class: "shadowed", "data-shadow-of": row.pointer },
          el("td", { class: "path", text: "shadowed" }),
          el("td", { class: "value" }, el("code", { text: s.op === "delete" ? "null (deletes)" : show(s.value) })),
          el("td", {}, badge(s.layer, s.source)),
          sourceCell(s.source),
          el("td", {}));
        frag.append(shadow);
      }
    }
  }
}
