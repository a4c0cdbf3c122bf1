// Typed text as the server reads it (webapp/text.py), so the phone refuses before it queues
// what the server would refuse later (an op kept in quarantine, the patroller long gone):
// - trim: what draws nothing goes from either end — whitespace (NBSP, the ideographic space),
//   format characters (Cf: zero-width space and joiners, BOM, soft hyphen, direction marks),
//   the Hangul fillers, the combining grapheme joiner; a variation selector or a flag's tags at
//   the end belong to what stands before them and stay. String.trim() leaves "\u200b".
// - tooLong: a length as Python counts it (code points, not UTF-16 units: "𠮷" is one).
// Pure functions: no DOM, tested by node (tests/js/text.test.mjs).

// Python's str.isspace() beyond JS's \s: the information separators and NEL.
const SPACE = /^[\s\x1c-\x1f\x85]$/u;
const FORMAT = /^\p{Cf}$/u;
const FILLERS = new Set(["\u115f", "\u1160", "\u3164", "\uffa0", "\u17b4", "\u17b5"]);
const MARK = /^[\u034f\u180b-\u180d\u180f\ufe00-\ufe0f\u{e0100}-\u{e01ef}]$/u;

const isTag = (c) => c >= "\u{e0020}" && c <= "\u{e007f}";

/** Whether a character (one code point) draws nothing. */
export function invisible(c) {
  return SPACE.test(c) || FORMAT.test(c) || FILLERS.has(c) || MARK.test(c);
}

/** Text without what is invisible at either end; "" when nothing else is there. */
export function trim(text) {
  const chars = [...String(text ?? "")];
  let start = 0;
  let end = chars.length;
  while (start < end && invisible(chars[start])) start += 1;
  while (end > start) {
    const last = chars[end - 1];
    if (isTag(last) || MARK.test(last) || !invisible(last)) break;
    end -= 1;
  }
  return chars.slice(start, end).join("");
}

/** Whether text is missing or holds nothing visible. */
export function blank(text) {
  return trim(text) === "";
}

/** Whether text is longer than `max` characters as the server counts them. */
export function tooLong(text, max) {
  let n = 0;
  for (const _ of String(text ?? "")) if (++n > max) return true;
  return false;
}

/** The first of `fields` ([text, max, label], ...) over its length, as {field, n}; else null.
 * The phone says so and queues nothing: text is never cut to fit. */
export function overLimit(fields) {
  for (const [text, max, label] of fields) if (tooLong(text, max)) return { field: label, n: max };
  return null;
}
