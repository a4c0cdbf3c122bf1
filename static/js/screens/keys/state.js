// The keys as this phone sees them: pulled custody (status, holder) from the store, with this
// phone's own key entries still in the outbox applied on top, and the ops that record more.
import { dataBlock, phone } from "../../phone/config.js";
import { fill } from "../../phone/i18n.js";
import { applyOp } from "./custody.js";
import { uuid } from "../../phone/photo.js";
import { nowWithOffset } from "../../phone/time.js";
import { isLongCode, normalize, SHORT_MAX, shortCodeValid } from "../../codes.js";
import * as store from "../../store.js";
import { sync } from "../../sync.js";

export const KEY_OPS = new Set(["key.lend", "key.return", "key.issue"]);

let words = null;

/** The key screens' words and links (templates/pwa/keys.html #keys-config). */
export function keysConfig() {
  if (words) return words;
  words = { strings: {}, modes: {}, handoverUrl: "/desk/handover", homeUrl: "/", ...dataBlock("keys-config") };
  return words;
}

/** A key screen phrase with {placeholders} filled in. */
export function kt(key, values = {}) {
  return fill(keysConfig().strings[key] || key, values);
}


function fromRow(r) {
  const d = r.data || {};
  return {
    code: r.code,
    short_code: r.short_code || "",
    label: r.label || d.label || r.code,
    id: r.id,
    estate_id: d.estate_id ?? r.estate_id ?? null,
    key_class: d.key_class || "",
    kind: d.kind || null,
    status: d.status || "in",
    holder: d.holder || null,
    due_back: null,
    pending: [],
  };
}

/** Every key on the phone by code, with its pending entries applied in the order made. */
export async function allKeys() {
  const [rows, outbox] = await Promise.all([
    store.withDB((db) => db.getAllFromIndex("objects", "type", "key")),
    store.outboxEntries(),
  ]);
  const keys = new Map(rows.filter((r) => r.code).map((r) => [r.code, fromRow(r)]));
  for (const entry of outbox) {
    if (!KEY_OPS.has(entry.type) || entry.state === "rejected") continue;
    const key = keys.get(entry.code);
    if (!key) continue;
    const next = applyOp(key, entry);
    next.pending = [...key.pending, entry];
    keys.set(entry.code, next);
  }
  return keys;
}

/** One key by its long code (null when the phone does not hold it). */
export async function keyByCode(code) {
  return (await allKeys()).get(code) || null;
}

/**
 * What a scanned or typed code names: {key}, or {error, item} (a unit or sign), or {unknown}.
 * Typed short codes are checked (their last character) before they are looked up.
 */
export async function resolveCode(raw) {
  const code = normalize(raw);
  if (!code) return { bad: true, code };
  let item = null;
  if (isLongCode(code)) {
    item = await store.itemByCode(code);
  } else if (code.length <= SHORT_MAX && shortCodeValid(code)) {
    item = await store.itemSource.byShortCode(code);
  } else {
    return { bad: true, code };
  }
  if (!item) return { unknown: true, code };
  if (item.type !== "key") return { notKey: true, item, code };
  const key = await keyByCode(item.code);
  return key ? { key } : { unknown: true, code };
}

export async function estates() {
  const rows = await store.withDB((db) => db.getAllFromIndex("objects", "type", "estate"));
  return rows.map((r) => ({ id: Number(r.id), name: r.data?.name || String(r.id) })).sort((a, b) => a.id - b.id);
}

/** Who records: the phone's logged-in user (the shell page itself names nobody). */
export async function recorder() {
  const m = await store.getMetas(["user"]);
  return m.user?.username || phone().user?.username || "";
}

function requestBackgroundSync() {
  navigator.serviceWorker?.ready
    .then((reg) => reg.sync && reg.sync.register("rounds-outbox"))
    .catch(() => {});
}

/**
 * Keep key ops (and their photos) in the outbox, all or none, then try to send them. The ids
 * come from the form's draft (_save.js), one pair per key: a repeated save is the same ops.
 */
export async function saveKeyOps(ops, photos = [], draft = null) {
  const username = await recorder();
  const now = Date.now();
  const id = (slot) => (draft ? draft.id(slot) : uuid());
  const entries = ops.map(({ type, key, payload }, i) => ({
    op_id: id(`op:${type}:${key.code}`),
    type,
    occurred_at: nowWithOffset(),
    payload: { id: id(`record:${type}:${key.code}`), code: key.code, ...payload },
    code: key.code,
    item: { label: key.label, type: "key" },
    username,
    created_at: now + i, // keeps the order they were made in
    state: "pending",
  }));
  await store.saveOps(entries, photos);
  draft?.saved();
  requestBackgroundSync();
  sync().catch(() => {});
  return entries;
}

/** This phone's key entries: waiting ones (outbox) and the latest synced (journal). */
export async function keyEntries(limit = 12) {
  const [outbox, journal] = await Promise.all([
    store.outboxEntries(),
    store.withDB((db) => db.getAll("journal")),
  ]);
  const waiting = outbox.filter((e) => KEY_OPS.has(e.type)).sort((a, b) => b.created_at - a.created_at);
  const synced = journal
    .filter((e) => KEY_OPS.has(e.type))
    .sort((a, b) => (b.synced_at || 0) - (a.synced_at || 0) || b.created_at - a.created_at)
    .slice(0, limit);
  return { waiting, synced };
}

// ---------------------------------------------------------------- stocktake

export { compare } from "./custody.js";

const STOCKTAKES = "keys_stocktakes";

export async function keptStocktakes() {
  return (await store.getMeta(STOCKTAKES)) || [];
}

export async function keepStocktake(result) {
  const kept = await keptStocktakes();
  const next = [result, ...kept.filter((r) => r.id !== result.id)].slice(0, 10);
  await store.setMeta(STOCKTAKES, next);
  return next;
}
