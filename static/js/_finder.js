// Finding an item by what a patroller can read when its label cannot be: the printed short
// code, or words of its address — building, entrance, floor, room, a sign's name and place, a
// key's label ("102", "3棟 1502", "電梯廳"). Offline, from the phone's store: the items are read
// once into memory (10,000 items: one read, then each keystroke scans plain strings) and
// read again after a pull brings changes.
import { normalize } from "./codes.js";
import * as store from "./store.js";
import { onStatus } from "./sync.js";

const TYPE_ORDER = { unit: 0, key: 1, sign: 2 };
const WORD = /[0-9A-Z]/;

let index = null;

onStatus((message) => {
  if (message.type === "pulled") index = null;
});

/** Forget the in-memory copy (the store changed under it). */
export function forget() {
  index = null;
}

async function build() {
  const rows = await store.withDB(async (db) => {
    const byType = db.transaction("objects").store.index("type");
    return (await Promise.all(store.ITEM_TYPES.map((type) => byType.getAll(type)))).flat();
  }, { ms: 60_000 }); // a read of the whole registry: a slow phone may take seconds
  return rows
    .filter((r) => r.code)
    .map((r) => {
      const d = r.data || {};
      return {
        // The label already reads like the address (3棟-2單元-15樓-1502室, 樓層·A棟3樓電梯廳,
        // 3棟-15樓 消防門); a sign's place and a key's name are added where they say more.
        hay: normalize([r.label, d.location, d.name].filter(Boolean).join(" ")),
        short: r.short_code || "",
        order: TYPE_ORDER[r.type] ?? 9,
        item: store.asItem(r),
      };
    });
}

/** Load the items into memory now (on focus), so the first keystroke does not wait. */
export function warm() {
  index ??= build().catch((error) => {
    index = null;
    throw error;
  });
  return index;
}

/** The words of what was typed, each read as the labels are (case, I/L/O/U, hyphens). */
export function tokens(text) {
  return String(text || "")
    .split(/[\s,，、。·•/|]+/)
    .map(normalize)
    .filter(Boolean);
}

/**
 * The items matching what was typed, best first: a short code that begins with it, then items
 * whose address holds every word — a word that stands whole (「102」 in 「…1樓102室」, not in
 * 「1102室」) ranks higher.
 */
export async function search(text, limit = 8, { types = null } = {}) {
  const words = tokens(text);
  if (!words.length) return [];
  const whole = words.join("");
  const all = await warm();
  const wanted = types ? new Set(types) : null;
  // The best `limit` kept as they come (a one-digit query matches thousands: no full sort).
  const better = (a, b) => a[0] - b[0] || b[1].order - a[1].order || (a[1].hay < b[1].hay ? 1 : a[1].hay > b[1].hay ? -1 : 0);
  const best = [];
  for (const e of all) {
    if (wanted && !wanted.has(e.item.type)) continue;
    let score = 0;
    if (e.short && e.short.startsWith(whole)) score = 1000;
    else {
      for (const w of words) {
        const at = e.hay.indexOf(w);
        if (at < 0) {
          score = -1;
          break;
        }
        const before = e.hay[at - 1];
        const after = e.hay[at + w.length];
        score += 1 + (!(before && WORD.test(before) && WORD.test(w[0])) && !(after && WORD.test(after) && WORD.test(w[w.length - 1])) ? 1 : 0);
      }
      if (score < 0) continue;
    }
    const hit = [score, e];
    if (best.length === limit && better(hit, best[limit - 1]) <= 0) continue;
    let i = best.length;
    while (i > 0 && better(hit, best[i - 1]) > 0) i--;
    best.splice(i, 0, hit);
    if (best.length > limit) best.pop();
  }
  return best.map(([, e]) => e.item);
}
