// Label codes on the phone: Crockford base32, the short code's Luhn mod 32 check character
// (the same rules as webapp/labels/codes.py), and which scanned QR codes are ours.
export const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const VALUE = Object.fromEntries([...ALPHABET].map((c, i) => [c, i]));
// Crockford's decoding rules: letters people confuse with digits read as digits.
const ALIASES = { I: "1", L: "1", O: "0", U: "V" };
export const LONG_MIN = 16;
export const SHORT_MAX = 8;

/** Uppercase, drop spaces and hyphens, read confusable letters as Crockford does. */
export function normalize(text) {
  return String(text)
    .replace(/[\s-]+/g, "")
    .toUpperCase()
    .replace(/[ILOU]/g, (c) => ALIASES[c]);
}

const inAlphabet = (s) => [...s].every((c) => c in VALUE);

/** Luhn mod 32 check character of a short code's body. */
export function checkCharacter(body) {
  const n = ALPHABET.length;
  let factor = 2;
  let total = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    const addend = factor * VALUE[body[i]];
    factor = factor === 2 ? 1 : 2;
    total += Math.floor(addend / n) + (addend % n);
  }
  return ALPHABET[(n - (total % n)) % n];
}

/** Whether a normalized short code is well formed and its check character matches. */
export function shortCodeValid(short) {
  return (
    short.length >= 2 &&
    short.length <= SHORT_MAX &&
    inAlphabet(short) &&
    checkCharacter(short.slice(0, -1)) === short[short.length - 1]
  );
}

/** Whether a normalized string has the shape of a label's long code. */
export function isLongCode(code) {
  return code.length >= LONG_MIN && code.length <= 64 && inAlphabet(code);
}

// A label prints its URL as PUBLIC_BASE_URL/q/<code> or, upper case so it fits QR's
// alphanumeric mode, PUBLIC_BASE_URL/Q/<CODE> (the server answers both alike).
const ITEM_PATH = /^\/[qQ]\/([^/]+)\/?$/;

/** The normalized code an item page's path (/q/<code> or /Q/<CODE>) names, else null. */
export function itemCodeFromPath(pathname) {
  const match = String(pathname).match(ITEM_PATH);
  if (!match) return null;
  try {
    return normalize(decodeURIComponent(match[1]));
  } catch {
    return null;
  }
}

/**
 * Read a scanned QR text: {ok: true, code} only for this deployment's /q/ (or /Q/) URLs,
 * else {ok: false, reason: "foreign"} — a foreign QR is never followed. Scheme and host
 * compare case-insensitively (URL parsing lowers them); the base URL's own path, if any,
 * exactly as configured.
 */
export function parseScan(text, baseUrl) {
  let url;
  let base;
  try {
    url = new URL(String(text).trim());
    base = new URL(baseUrl);
  } catch {
    return { ok: false, reason: "foreign" };
  }
  const root = base.pathname.replace(/\/+$/, "");
  const path = url.pathname;
  if (url.origin !== base.origin || url.search || url.hash || !path.startsWith(`${root}/`)) {
    return { ok: false, reason: "foreign" };
  }
  const rest = path.slice(root.length);
  if (!rest.startsWith("/q/") && !rest.startsWith("/Q/")) return { ok: false, reason: "foreign" };
  let code;
  try {
    code = decodeURIComponent(rest.slice(3));
  } catch {
    return { ok: false, reason: "foreign" };
  }
  const normalized = normalize(code);
  if (code.includes("/") || !isLongCode(normalized)) return { ok: false, reason: "foreign" };
  return { ok: true, code: normalized };
}
