// Paths into a values document: JSON Pointers (RFC 6901), leaf listings, edits and the
// line of a path in the editor's text. Pure functions, no DOM.

export const PLACEHOLDER = /^<redacted hmac:[0-9a-f]{8}>$/;

export function isSecretPlaceholder(value) {
  return typeof value === "string" && PLACEHOLDER.test(value);
}

export function parsePointer(pointer) {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function toPointer(segments) {
  return segments.map((s) => "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

function isMap(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function getAt(doc, segments) {
  let node = doc;
  for (const key of segments) {
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

/** A copy of `doc` with `value` at `segments` (maps created on the way). */
export function setAt(doc, segments, value) {
  if (segments.length === 0) return value;
  const [head, ...rest] = segments;
  const out = isMap(doc) ? { ...doc } : {};
  out[head] = setAt(out[head], rest, value);
  return out;
}

/** A copy of `doc` without `segments`; maps left empty by the removal are removed too. */
export function deleteAt(doc, segments) {
  if (!isMap(doc) || segments.length === 0 || !(segments[0] in doc)) return doc;
  const [head, ...rest] = segments;
  const out = { ...doc };
  if (rest.length === 0) {
    delete out[head];
  } else {
    out[head] = deleteAt(out[head], rest);
    if (isMap(out[head]) && Object.keys(out[head]).length === 0) delete out[head];
  }
  return out;
}

/** Every leaf as [pointer, value]: a scalar, a list (lists replace as a whole) or an empty map. */
export function leaves(doc, prefix = []) {
  if (!isMap(doc) || (prefix.length > 0 && Object.keys(doc).length === 0)) {
    return prefix.length === 0 ? [] : [[toPointer(prefix), doc]];
  }
  const out = [];
  for (const [key, value] of Object.entries(doc)) out.push(...leaves(value, [...prefix, key]));
  return out;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What turns `before` into `after`: [{pointer, old, new, change}] by leaf. */
export function changes(before, after) {
  const a = new Map(leaves(before));
  const b = new Map(leaves(after));
  const out = [];
  for (const [pointer, old] of a) {
    if (!b.has(pointer)) out.push({ pointer, old, new: undefined, change: "removed" });
    else if (!same(old, b.get(pointer))) out.push({ pointer, old, new: b.get(pointer), change: "changed" });
  }
  for (const [pointer, value] of b) {
    if (!a.has(pointer)) out.push({ pointer, old: undefined, new: value, change: "added" });
  }
  return out.sort((x, y) => (x.pointer < y.pointer ? -1 : x.pointer > y.pointer ? 1 : 0));
}

/** `doc` with `edits` (from `changes`) applied on top: the re-apply of a 412. Removals go
 * first, so a map they empty (and prune) can be set again by an edit below it. */
export function applyChanges(doc, edits) {
  let out = doc;
  for (const edit of edits) {
    if (edit.change === "removed") out = deleteAt(out, parsePointer(edit.pointer));
  }
  for (const edit of edits) {
    if (edit.change !== "removed") out = setAt(out, parsePointer(edit.pointer), edit.new);
  }
  return out;
}

export function dotted(pointer) {
  return parsePointer(pointer).join(".");
}

const KEY_LINE = /^(\s*)(?:-\s+)*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s#"'{}[\],:][^:#]*?))\s*:(?:\s|$)/;

/**
 * The 1-based line of the deepest key of `segments` found in block-style YAML or indented
 * JSON (the shapes the editor writes and people type); 0 when no key of the path is found.
 * Nesting is read from indentation, as YAML defines it for block mappings.
 */
export function lineOf(text, segments) {
  const keys = segments.filter((s) => !/^\d+$/.test(String(s))).map(String);
  if (keys.length === 0) return 0;
  const stack = [];
  let best = 0;
  let bestDepth = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = KEY_LINE.exec(lines[i]);
    if (!m) continue;
    const indent = m[1].length + (lines[i].slice(m[1].length).match(/^(?:-\s+)*/)[0].length);
    const key = m[2] !== undefined ? m[2] : m[3] !== undefined ? m[3] : m[4].trim();
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    stack.push({ indent, key });
    const depth = stack.length;
    if (depth <= keys.length && stack.every((s, j) => s.key === keys[j]) && depth > bestDepth) {
      best = i + 1;
      bestDepth = depth;
      if (depth === keys.length) return best;
    }
  }
  return best;
}
