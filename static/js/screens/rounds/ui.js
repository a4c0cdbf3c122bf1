// The rounds page's words (a JSON data block in templates/pwa/rounds.html: the CSP runs no
// inline script) and small helpers shared by its modules.
let cached = null;

function strings() {
  if (cached) return cached;
  const node = typeof document !== "undefined" ? document.getElementById("rounds-strings") : null;
  try {
    cached = node ? JSON.parse(node.textContent) : {};
  } catch {
    cached = {};
  }
  return cached;
}

/** A phrase with {placeholders} filled in. */
export function rs(key, values = {}) {
  const text = strings()[key] || key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

export const zhFirst = () => !/^en\b/i.test(document.documentElement.lang || "");

/** A checklist item's or choice's text in the page's language ({zh, en}). */
export function textOf(x) {
  if (!x) return "";
  return (zhFirst() ? x.zh || x.en : x.en || x.zh) || x.key || x.value || "";
}
