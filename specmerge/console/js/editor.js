// The console layer's editor: a textarea with a line-number gutter that marks the lines
// holding a problem. YAML or JSON (JSON is read by the same YAML 1.2 parser).

// vendor/js-yaml-4.1.0.mjs is npm js-yaml@4.1.0 dist/js-yaml.mjs, unmodified (MIT, license beside it),
// sha256 16f210b939b359b6ec8dde581eb62c157185711dc7b719b33779c43db5c31a91 (checked by tests/console).
import { dump, load } from "../vendor/js-yaml-4.1.0.mjs";

export class ParseError extends Error {
  constructor(message, line) {
    super(message);
    this.line = line;
  }
}

/** The document in `text` (an empty text is `{}`); ParseError names the line. */
export function parse(text) {
  let doc;
  try {
    doc = load(text, { json: false });
  } catch (e) {
    const line = e.mark ? e.mark.line + 1 : 0;
    throw new ParseError(e.reason || "not valid YAML", line);
  }
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new ParseError("the console layer must be a map of keys to values", 1);
  return doc;
}

export function format(doc, asJson) {
  if (asJson) return JSON.stringify(doc, null, 2) + "\n";
  if (Object.keys(doc).length === 0) return "{}\n";
  return dump(doc, { lineWidth: -1, noRefs: true, sortKeys: false });
}

export class Editor {
  constructor(textarea, gutter, onChange) {
    this.textarea = textarea;
    this.gutter = gutter;
    this.lines = 0;
    this.marks = new Map();
    textarea.addEventListener("input", () => { this.renderGutter(); onChange(); });
    textarea.addEventListener("scroll", () => { this.gutter.scrollTop = this.textarea.scrollTop; });
  }

  get text() { return this.textarea.value; }

  isJson() { return this.textarea.value.trimStart().startsWith("{"); }

  setText(text) {
    this.textarea.value = text;
    this.renderGutter();
  }

  /** Marks: line -> message (a problem on that line). */
  setMarks(marks) {
    this.marks = marks;
    this.lines = -1;
    this.renderGutter();
  }

  renderGutter() {
    const count = this.textarea.value.split("\n").length;
    if (count === this.lines) return;
    this.lines = count;
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= count; i++) {
      const d = document.createElement("div");
      d.textContent = String(i);
      if (this.marks.has(i)) {
        d.className = "mark";
        d.title = this.marks.get(i);
      }
      frag.append(d);
    }
    this.gutter.replaceChildren(frag);
    this.gutter.scrollTop = this.textarea.scrollTop;
  }

  /** Put the caret at the start of `line` (1-based) and scroll it into view. */
  goToLine(line) {
    const lines = this.textarea.value.split("\n");
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset + (lines[line - 1] || "").length);
    const lineHeight = parseFloat(getComputedStyle(this.textarea).lineHeight) || 18;
    this.textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }
}
