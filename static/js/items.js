// The items this phone knows, behind one small interface. The phone's offline store (a later
// issue) registers itself here; until then there is no source and the screens say so.
//
// A source is {byShortCode(short), search(prefix, limit), stats()} returning promises of
// items {code, short_code, label, type} and {items, lastSyncedAt}.
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

export async function suggest(prefix, limit = 6) {
  return source && prefix ? source.search(prefix, limit) : [];
}

export async function stats() {
  return source ? source.stats() : null;
}
