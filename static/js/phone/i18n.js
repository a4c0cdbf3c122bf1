// The phone's words: phrases from the page's data blocks with {placeholders} filled in, and
// the vocabularies' names (key statuses, categories, results).
import { config, phone } from "./config.js";
import { shortWhen } from "./time.js";

/** `text` with each {name} replaced by values[name] (unknown names stay as written). A phrase
 * with plural forms ({one, other, ...}: the page's ngettext) takes the form values.n asks for. */
export function fill(text, values = {}) {
  if (text && typeof text === "object") {
    const rules = new Intl.PluralRules(document.documentElement.lang || "zh-Hant-TW");
    text = text[rules.select(Number(values.n))] ?? text.other;
  }
  return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

/** `main` with `extra` beside it in brackets as the reader's language writes them: full-width in
 * Chinese (「李先生（業主）」), "Mr Lee (owner)" in English (webapp.i18n.aside on the server). */
export function aside(main, extra, lang = globalThis.document?.documentElement.lang || "zh-Hant-TW") {
  return lang.startsWith("zh") ? `${main}（${extra}）` : `${main} (${extra})`;
}

/** A word of the PWA shell (#pwa-config). */
export function t(key) {
  return config().t[key] || key;
}

/** A phrase of the phone scripts (#phone-config) with {placeholders} filled in. */
export function pt(key, values = {}) {
  return fill(phone().s[key] || key, values);
}

export function term(vocab, value) {
  return (phone().vocab[vocab] || {})[value] || value || "";
}

export function pairName(list, value) {
  const found = phone()[list].find(([v]) => v === value);
  return found ? found[1] : value;
}

/** "HH:MM" today, else "M/D HH:MM"; 「從未」 when there is no time. */
export function fmtTime(ms) {
  return shortWhen(ms, pt("never"));
}

/** A floor as managers write it (webapp.vocab.floor_name): a basement is B1, never -1樓; a floor
 * above ground is above(n), 15樓 unless the caller words it. */
export function floorName(floor, above = (n) => `${n}樓`) {
  return floor < 0 ? `B${-floor}` : above(floor);
}
