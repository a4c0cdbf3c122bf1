// The items this phone knows, behind one small interface. The phone's offline store registers
// itself here (phone.js) once it holds items; until then there is no source and the screens
// say so.
//
// A source is {byShortCode(short), search(text, limit), stats(), warm()?} returning promises
// of items {code, short_code, label, type} and {items, lastSyncedAt}. `search` takes what was
// typed as it was typed: a short code's beginning or words of the item's address.
let source = null;

export function registerItemSource(next) {
  source = next;
  document.dispatchEvent(new CustomEvent("rounds:items-source"));
}

export function hasItemSource() {
  return source !== null;
}

export async function findByShortCode(short) {
  return source ? source.byShortCode(short) : null;
}

export async function suggest(text, limit = 8) {
  return source && String(text || "").trim() ? source.search(text, limit) : [];
}

/** Get the source ready for the first keystroke (reads the items into memory). */
export async function warm() {
  return source?.warm ? source.warm() : null;
}

export async function stats() {
  return source ? source.stats() : null;
}
