// Line diffs of rendered manifests (already masked by the service), keyed by template and
// document index, as unified-style hunks with a few lines of context.

const CONTEXT = 2;
const MAX_CELLS = 4_000_000; // longest-common-subsequence table bound; beyond, the document is shown replaced

function lcsOps(a, b) {
  if (a.length * b.length > MAX_CELLS) {
    return [...a.map((l) => ["-", l]), ...b.map((l) => ["+", l])];
  }
  const n = a.length, m = b.length;
  const t = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { ops.push([" ", a[i]]); i++; j++; }
    else if (t[i + 1][j] >= t[i][j + 1]) { ops.push(["-", a[i]]); i++; }
    else { ops.push(["+", b[j]]); j++; }
  }
  while (i < n) ops.push(["-", a[i++]]);
  while (j < m) ops.push(["+", b[j++]]);
  return ops;
}

/** The changed lines of one text pair, with context, as [op, line] ("…" separates hunks). */
export function hunks(before, after) {
  const ops = lcsOps(before.split("\n"), after.split("\n"));
  const keep = new Array(ops.length).fill(false);
  ops.forEach(([op], k) => {
    if (op !== " ") for (let c = Math.max(0, k - CONTEXT); c <= Math.min(ops.length - 1, k + CONTEXT); c++) keep[c] = true;
  });
  const out = [];
  let gap = false;
  ops.forEach((op, k) => {
    if (keep[k]) { if (gap && out.length) out.push(["…", ""]); out.push(op); gap = false; } else gap = true;
  });
  return out;
}

function keyed(manifests) {
  return new Map((manifests || []).map((m) => [`${m.template}#${m.index}`, m.text]));
}

/** [{key, status, lines}] for every document added, removed or changed. */
export function manifestDiff(before, after) {
  const a = keyed(before), b = keyed(after);
  const out = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const old = a.get(key), now = b.get(key);
    if (old === now) continue;
    const status = old === undefined ? "added" : now === undefined ? "removed" : "changed";
    out.push({ key, status, lines: hunks(old || "", now || "") });
  }
  return out;
}
