// The rounds page's words (a JSON data block in templates/pwa/rounds.html: the CSP runs no
// inline script) and small helpers shared by its modules.
import { dataBlock } from "../../phone/config.js";
import { fill } from "../../phone/i18n.js";

/** A phrase with {placeholders} filled in. */
export function rs(key, values = {}) {
  return fill(dataBlock("rounds-strings")[key] || key, values);
}

export const zhFirst = () => !/^en\b/i.test(document.documentElement.lang || "");

/** A checklist item's or choice's text in the page's language ({zh, en}). */
export function textOf(x) {
  if (!x) return "";
  return (zhFirst() ? x.zh || x.en : x.en || x.zh) || x.key || x.value || "";
}
