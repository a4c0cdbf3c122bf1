// The phone's offline store (IndexedDB through idb): reference data pulled from the server,
// the outbox of ops not yet final on the server, their photos (ArrayBuffer + MIME, never Blob:
// Safari loses Blobs in IndexedDB), this phone's own synced entries, and meta (cursor, device,
// token). No DOM needed: the service worker imports it too.
//
// Connections and Safari's back/forward cache: a page left while a transaction runs keeps
// that transaction, and its locks, while it sits frozen — every other page then waits on
// `meta` and `objects` for 30 s or more (seen in WebKit: a save that never ends). So this
// module tracks the transactions it opens, aborts the unfinished ones and closes the
// connection on every `pagehide`, and opens afresh after `pageshow`. No transaction is ever held across an await on the network (sync.js reads, then
// fetches, then writes in a new transaction). Every call has a deadline: one that does not
// settle is tried once more on a fresh connection, then fails loudly (StoreUnavailable) —
// a save must never end in silence.
import { openDB, unwrap } from "idb";

const NAME = "rounds";
const VERSION = 4;
export const ITEM_TYPES = ["unit", "key", "sign"];
/** Pulled records of an item's history (phone-made on any phone of the estate). */
export const RECORD_TYPES = ["check", "finding"];
/** Pulled objects that belong to a unit without being its history: its renovation permits and
 * rectification notices (issue 20), found by the unit (`item_key`, as records are). */
export const ATTACHED_TYPES = ["permit", "notice"];
/** The server sends checks of the last 30 days; older copies are hidden, then dropped. */
export const CHECK_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** How long one store call may take before the connection is renewed (then it fails). */
const QUICK_MS = 5_000;
/** Opening may upgrade the store first (a walk over every record): it gets longer. */
const OPEN_MS = 15_000;
/** Calls that walk the whole store (a snapshot's clean-up on a slow phone) get longer. */
const BULK_MS = 120_000;

/** The phone's store did not answer: nothing was saved, and the caller must say so. */
export class StoreUnavailable extends Error {
  constructor(message = "the phone's store did not answer") {
    super(message);
    this.name = "StoreUnavailable";
  }
}

let dbPromise = null;
/** Transactions this page opened that have not finished yet (native IDBTransaction). */
const live = new Set();

/**
 * The database as one call sees it: every transaction it opens (idb's shortcuts included,
 * which open theirs through `this.transaction`) is counted in `mine` and in `live` until it
 * completes or aborts, so that a call that ran out of time can abort what it started.
 */
function scoped(db, mine) {
  const transaction = (...args) => {
    const tx = db.transaction(...args);
    const raw = unwrap(tx);
    const done = () => {
      mine.delete(raw);
      live.delete(raw);
    };
    mine.add(raw);
    live.add(raw);
    raw.addEventListener("complete", done);
    raw.addEventListener("abort", done);
    return tx;
  };
  const view = new Proxy(db, {
    get(target, prop) {
      if (prop === "transaction") return transaction;
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      // idb's shortcuts (get, put, getAllFromIndex…) must see this view as `this`; the
      // connection's own methods (close…) the connection.
      return prop in IDBDatabase.prototype ? value.bind(target) : (...args) => value.apply(view, args);
    },
  });
  return view;
}

function abortAll(transactions) {
  for (const tx of transactions) {
    try {
      tx.abort();
    } catch {
      // it finished meanwhile
    }
  }
  transactions.clear();
}

function open() {
  dbPromise ??= openDB(NAME, VERSION, {
    async upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        const objects = db.createObjectStore("objects", { keyPath: "key" });
        objects.createIndex("code", "code");
        objects.createIndex("short_code", "short_code");
        objects.createIndex("type", "type");
        objects.createIndex("estate_id", "estate_id");
        objects.createIndex("gen", "gen");
        const outbox = db.createObjectStore("outbox", { keyPath: "op_id" });
        outbox.createIndex("code", "code");
        outbox.createIndex("created_at", "created_at");
        db.createObjectStore("photos", { keyPath: "sha256" });
        const journal = db.createObjectStore("journal", { keyPath: "op_id" });
        journal.createIndex("code", "code");
        journal.createIndex("synced_at", "synced_at");
        db.createObjectStore("meta");
      }
      if (oldVersion < 2) {
        // Checks and findings: found by the item they are about (its code, and type:id).
        const objects = tx.objectStore("objects");
        objects.createIndex("item_code", "item_code");
        objects.createIndex("item_key", "item_key");
        objects.createIndex("check_at", "check_at");
        for (const type of RECORD_TYPES) {
          let cursor = await objects.index("type").openCursor(type);
          while (cursor) {
            cursor.update(recordFields(cursor.value));
            cursor = await cursor.continue();
          }
        }
      }
      if (oldVersion >= 1 && oldVersion < 4) {
        // Items now carry their retired labels' codes (3), and units their renovation permits
        // and notices (4), which rows pulled before do not: the next pull is a fresh snapshot
        // (the outbox, journal and photos are untouched), and until it ends the phone does not
        // claim to hold every label.
        const meta = tx.objectStore("meta");
        const gen = (await meta.get("gen")) || 0;
        meta.delete("cursor");
        meta.put(gen + 1, "gen");
        meta.put(true, "snapshotting");
      }
      if (oldVersion < 3) {
        // A replaced label still names its item: found by its long or short code.
        const objects = tx.objectStore("objects");
        objects.createIndex("retired", "retired", { multiEntry: true });
        objects.createIndex("retired_short", "retired_short", { multiEntry: true });
      }
    },
    blocking() {
      // Another tab (or a test) wants a newer version or to delete the store: let it.
      dbPromise?.then((db) => db.close());
      dbPromise = null;
    },
    terminated() {
      dbPromise = null;
    },
  }).catch((error) => {
    dbPromise = null;
    throw error;
  });
  return dbPromise;
}

/**
 * Let go of the connection: the next call opens a new one. With `abort`, this page's
 * unfinished transactions are aborted first, so that no lock outlives the page's freezing
 * (writes in them are lost as a whole; every caller either retries — sync ops are idempotent
 * by op id — or has not yet said "saved").
 */
export function release({ abort = false } = {}) {
  if (abort) abortAll(live);
  const previous = dbPromise;
  dbPromise = null;
  // close() waits for the transactions still running on it; new calls use the new connection.
  previous?.then((db) => db.close()).catch(() => {});
}

// Safari's back/forward cache freezes a page with whatever it had open: let go before, open
// afresh after. Between the two no call may open a connection: it would be frozen in turn.
// Every pagehide counts, whatever `persisted` says: WebKit left pages it reported as not
// cached (persisted false) holding their transactions, and the store locked with them.
let thawed = null;
let thaw = null;
// Nor before the page has loaded: WebKit fires no pagehide for a page left before its load
// event (seen: /app left while loading kept four transactions and locked the store), so
// there would be no moment to let go. The shell's files come from the worker's cache: the
// wait is short; a page whose load never ends gets the store after LOAD_WAIT_MS anyway.
const LOAD_WAIT_MS = 3_000;
let loaded = null;
if (typeof document !== "undefined" && document.readyState !== "complete") {
  loaded = new Promise((resolve) => {
    window.addEventListener("load", resolve, { once: true });
    setTimeout(resolve, LOAD_WAIT_MS);
  }).then(() => {
    loaded = null;
  });
}
if (typeof window !== "undefined" && typeof window.addEventListener === "function") {
  window.addEventListener("pagehide", () => {
    thawed ??= new Promise((resolve) => (thaw = resolve));
    release({ abort: true });
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) release({ abort: true });
    thaw?.();
    thawed = thaw = null;
  });
}

/**
 * fn(db) with a deadline: when it has not settled in `ms`, the transactions it opened are
 * aborted — so that what it was writing can never land later, after we said it did not —
 * and it fails with StoreUnavailable.
 */
async function attempt(fn, ms) {
  let opening;
  const db = await Promise.race([
    open(),
    new Promise((_, reject) => {
      opening = setTimeout(() => reject(new StoreUnavailable("the phone's store did not open")), OPEN_MS);
    }),
  ]).finally(() => clearTimeout(opening));
  const mine = new Set();
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => {
      abortAll(mine);
      reject(new StoreUnavailable(`no answer from the phone's store in ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([fn(scoped(db, mine)), late]);
  } finally {
    clearTimeout(timer);
  }
}

function lostConnection(error) {
  const text = String(error && (error.message || error));
  return (
    (error && (error.name === "InvalidStateError" || error.name === "UnknownError")) ||
    /Connection to Indexed Database server lost|database connection is closing/i.test(text)
  );
}

/**
 * Run fn(db) on the store. If the connection was lost (iOS drops it) or the call did not
 * settle in time (a lock held by a frozen page), it runs once more on a fresh connection;
 * then the failure is thrown (StoreUnavailable for a store that does not answer).
 */
export async function withDB(fn, { ms = QUICK_MS } = {}) {
  if (loaded) await loaded;
  if (thawed) await thawed;
  try {
    return await attempt(fn, ms);
  } catch (error) {
    if (!(lostConnection(error) || error instanceof StoreUnavailable)) throw error;
    release();
    return attempt(fn, ms);
  }
}

// ---------------------------------------------------------------- meta

export const getMeta = (key) => withDB((db) => db.get("meta", key));
export const setMeta = (key, value) => withDB((db) => db.put("meta", value, key));

export async function getMetas(keys) {
  return withDB(async (db) => {
    const tx = db.transaction("meta");
    const values = await Promise.all(keys.map((k) => tx.store.get(k)));
    return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
  });
}

export async function setMetas(values) {
  return withDB(async (db) => {
    const tx = db.transaction("meta", "readwrite");
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) tx.store.delete(k);
      else tx.store.put(v, k);
    }
    await tx.done;
  });
}

// ---------------------------------------------------------------- reference data

/** What finds a pulled check or finding: its item's code and type:id, and when it happened. */
function recordFields(r) {
  const d = r.data || {};
  if (d.code) r.item_code = d.code;
  if (d.item_type && d.item_id != null) r.item_key = `${d.item_type}:${d.item_id}`;
  r.at = Date.parse(d.occurred_at) || 0;
  if (r.type === "check") r.check_at = r.at; // pruned by this index once past the window
  return r;
}

function row(change, gen) {
  const data = change.data || {};
  const row = {
    key: `${change.type}:${change.id}`,
    type: change.type,
    id: change.id,
    version: change.version,
    gen,
    estate_id: change.type === "estate" ? Number(change.id) : data.estate_id ?? null,
    data,
  };
  if (ITEM_TYPES.includes(change.type) && data.code) {
    row.code = data.code;
    row.short_code = data.short_code || "";
    row.label = data.label || "";
    const retired = data.retired_codes || [];
    if (retired.length) {
      row.retired = retired.map((r) => r.code);
      row.retired_short = retired.map((r) => r.short_code).filter(Boolean);
    }
  }
  if (RECORD_TYPES.includes(change.type)) recordFields(row);
  if (ATTACHED_TYPES.includes(change.type) && data.item_type && data.item_id != null) {
    row.item_key = `${data.item_type}:${data.item_id}`;
  }
  return row;
}

/** Apply one pulled page and remember where to continue, in one transaction. */
export async function applyPage(changes, metaValues, gen) {
  return withDB(async (db) => {
    const tx = db.transaction(["objects", "meta"], "readwrite");
    const objects = tx.objectStore("objects");
    for (const change of changes) {
      if (change.deleted) objects.delete(`${change.type}:${change.id}`);
      else objects.put(row(change, gen));
    }
    const meta = tx.objectStore("meta");
    for (const [k, v] of Object.entries(metaValues)) meta.put(v, k);
    await tx.done;
  }, { ms: BULK_MS });
}

/** Delete every stored object whose `index` value is below `bound`; how many went. */
function dropBelow(index, bound) {
  return withDB(async (db) => {
    const tx = db.transaction("objects", "readwrite");
    let cursor = await tx.store.index(index).openCursor(IDBKeyRange.upperBound(bound, true));
    let dropped = 0;
    while (cursor) {
      cursor.delete();
      dropped++;
      cursor = await cursor.continue();
    }
    await tx.done;
    return dropped;
  }, { ms: BULK_MS });
}

/** After a fresh snapshot: forget what it no longer contains (older generations). */
export async function dropOlderThan(gen) {
  return dropBelow("gen", gen);
}

export const clearReference = () => withDB((db) => db.clear("objects"), { ms: BULK_MS });

/** A stored row as the screens use an item. */
export function asItem(r) {
  return r && { code: r.code, short_code: r.short_code, label: r.label, type: r.type, id: r.id, data: r.data };
}

/** The item a retired label named, with that label as `retired` ({code, short_code, retired_at}). */
function asRetired(r, field, value) {
  if (!r || !ITEM_TYPES.includes(r.type)) return null;
  const label = (r.data?.retired_codes || []).find((c) => c[field] === value) || { [field]: value };
  return { ...asItem(r), retired: label };
}

/**
 * The unit, key or sign whose code this is (null when the phone does not know it). A code
 * since replaced finds its item too, marked `retired`: the phone says so, and opens it.
 */
export async function itemByCode(code) {
  const [r, old] = await withDB(async (db) => {
    const tx = db.transaction("objects");
    const active = await tx.store.index("code").get(code);
    return [active, active ? null : await tx.store.index("retired").get(code)];
  });
  if (r && ITEM_TYPES.includes(r.type)) return asItem(r);
  return asRetired(old, "code", code);
}

export async function objectOf(type, id) {
  const r = await withDB((db) => db.get("objects", `${type}:${id}`));
  return r ? r.data : null;
}

/** The ItemSource of items.js: what typing a code looks up. */
export const itemSource = {
  async byShortCode(short) {
    const [rows, old] = await withDB(async (db) => {
      const tx = db.transaction("objects");
      const active = (await tx.store.index("short_code").getAll(short)).filter((r) => ITEM_TYPES.includes(r.type));
      return [active, active.length ? [] : await tx.store.index("retired_short").getAll(short)];
    });
    if (rows.length) return asItem(rows[0]);
    return old.map((r) => asRetired(r, "short_code", short)).find(Boolean) || null;
  },
  async search(prefix, limit = 6) {
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    const rows = await withDB((db) => db.getAllFromIndex("objects", "short_code", range, limit));
    return rows.filter((r) => ITEM_TYPES.includes(r.type)).map(asItem);
  },
  async stats() {
    return withDB(async (db) => {
      const tx = db.transaction(["objects", "meta"]);
      const index = tx.objectStore("objects").index("type");
      let items = 0;
      for (const type of ITEM_TYPES) items += await index.count(type);
      const lastSyncedAt = await tx.objectStore("meta").get("last_sync_at");
      return { items, lastSyncedAt: lastSyncedAt || null };
    });
  },
};

// ---------------------------------------------------------------- pulled history of an item

/**
 * The pulled checks and findings of an item, by its code and (when known) its type and id —
 * a finding carries the item's active code, a check the code as scanned. Newest first; checks
 * past the 30-day window are left out (the server sends no tombstone when they age out).
 */
export async function recordsFor(code, itemKey = null, now = Date.now()) {
  return withDB(async (db) => {
    const tx = db.transaction("objects");
    const [byCode, byKey] = await Promise.all([
      code ? tx.store.index("item_code").getAll(code) : [],
      itemKey ? tx.store.index("item_key").getAll(itemKey) : [],
    ]);
    const seen = new Set();
    const out = [];
    for (const r of [...byCode, ...byKey]) {
      if (seen.has(r.key) || !RECORD_TYPES.includes(r.type)) continue;
      seen.add(r.key);
      if (r.type === "check" && r.at < now - CHECK_RETENTION_MS) continue;
      out.push({ type: r.type, id: r.id, version: r.version, at: r.at, data: r.data });
    }
    return out.sort((a, b) => b.at - a.at);
  });
}

/** A unit's pulled permits or notices (`type`), by its `type:id`. */
export async function attachedTo(itemKey, type) {
  const rows = await withDB((db) => db.getAllFromIndex("objects", "item_key", itemKey));
  return rows.filter((r) => r.type === type).map((r) => ({ id: r.id, version: r.version, data: r.data }));
}

/** Drop pulled checks older than the window (the server will never say they are gone). */
export async function pruneRecords(now = Date.now()) {
  return dropBelow("check_at", now - CHECK_RETENTION_MS);
}

// ---------------------------------------------------------------- outbox and photos

/** Keep an op and its photos, together or not at all. */
export async function saveOp(entry, photos = []) {
  return saveOps([entry], photos);
}

/** Keep the ops of one user action (a check and its findings, a basket of keys) and their
 * photos, all or none: a save that fails leaves nothing half-kept to be repeated. */
export async function saveOps(entries, photos = []) {
  return withDB(async (db) => {
    const tx = db.transaction(["outbox", "photos"], "readwrite");
    for (const photo of photos) tx.objectStore("photos").put(photo);
    for (const entry of entries) tx.objectStore("outbox").put(entry);
    await tx.done;
  });
}

/**
 * The user takes back an entry still waiting to be sent: it leaves the outbox for the journal,
 * marked `withdrawn` (the phone's audit trail), and its photos go unless another waiting entry
 * names them. Null when it is no longer waiting (sent meanwhile, or refused); `{refused}` when
 * it was recorded by another user than `username`. The caller holds the sync lock, so no push
 * is sending it at that moment.
 */
export async function takeBack(opId, now, username = null) {
  return withDB(async (db) => {
    const tx = db.transaction(["outbox", "journal", "photos"], "readwrite");
    const outbox = tx.objectStore("outbox");
    const entry = await outbox.get(opId);
    if (!entry || entry.state !== "pending") {
      await tx.done;
      return null;
    }
    if (username && entry.username && entry.username !== username) {
      await tx.done; // another user's entry, waiting for them to log in: not ours to discard
      return { refused: "not-yours" };
    }
    outbox.delete(opId);
    const taken = { ...entry, state: "withdrawn", withdrawn_at: now, synced_at: now };
    tx.objectStore("journal").put(taken);
    const shas = (e) => [...(e.payload.photos || []), ...(e.payload.signature ? [e.payload.signature] : [])];
    const needed = new Set((await outbox.getAll()).filter((e) => e.op_id !== opId).flatMap(shas));
    for (const sha of shas(entry)) if (!needed.has(sha)) tx.objectStore("photos").delete(sha);
    await tx.done;
    return taken;
  });
}

export async function outboxEntries() {
  return withDB((db) => db.getAllFromIndex("outbox", "created_at"));
}

export async function outboxFor(code) {
  return withDB((db) => db.getAllFromIndex("outbox", "code", code));
}

export async function journalFor(code) {
  return withDB((db) => db.getAllFromIndex("journal", "code", code));
}

export const getPhoto = (sha) => withDB((db) => db.get("photos", sha));
export const putPhoto = (photo) => withDB((db) => db.put("photos", photo));

/** An op the server answered with a final status other than rejected: it leaves the outbox. */
export async function settle(opId, result, now) {
  return withDB(async (db) => {
    const tx = db.transaction(["outbox", "journal"], "readwrite");
    const entry = await tx.objectStore("outbox").get(opId);
    if (entry) {
      tx.objectStore("outbox").delete(opId);
      tx.objectStore("journal").put({ ...entry, state: result.status, result, synced_at: now });
    }
    await tx.done;
  });
}

/** A rejected op stays, marked, until the user has seen it. */
export async function markRejected(opId, result) {
  return withDB(async (db) => {
    const tx = db.transaction("outbox", "readwrite");
    const entry = await tx.store.get(opId);
    if (entry) tx.store.put({ ...entry, state: "rejected", result });
    await tx.done;
  });
}

/** The user has seen a rejected op: it moves to the journal, still listed as rejected. */
export async function acknowledge(opId, now) {
  return withDB(async (db) => {
    const tx = db.transaction(["outbox", "journal"], "readwrite");
    const entry = await tx.objectStore("outbox").get(opId);
    if (entry && entry.state === "rejected") {
      tx.objectStore("outbox").delete(opId);
      tx.objectStore("journal").put({ ...entry, acknowledged_at: now, synced_at: now });
    }
    await tx.done;
  });
}

/** Photos uploaded and named by no entry left in the outbox are dropped (the server has them). */
export async function prunePhotos() {
  return withDB(async (db) => {
    const tx = db.transaction(["outbox", "photos"], "readwrite");
    const needed = new Set();
    for (const e of await tx.objectStore("outbox").getAll()) {
      for (const sha of e.payload.photos || []) needed.add(sha);
    }
    let cursor = await tx.objectStore("photos").openCursor();
    while (cursor) {
      if (cursor.value.uploaded && !needed.has(cursor.key)) cursor.delete();
      cursor = await cursor.continue();
    }
    await tx.done;
  }, { ms: BULK_MS });
}

/** Keep the journal short: the newest `keep` entries. */
export async function pruneJournal(keep = 500) {
  return withDB(async (db) => {
    const tx = db.transaction("journal", "readwrite");
    const total = await tx.store.count();
    let extra = total - keep;
    let cursor = extra > 0 ? await tx.store.index("synced_at").openCursor() : null;
    while (cursor && extra > 0) {
      cursor.delete();
      extra--;
      cursor = await cursor.continue();
    }
    await tx.done;
  }, { ms: BULK_MS });
}

/** Forget the signed-in user's data (logout with nothing left unsynced). */
export async function forgetAll() {
  return withDB(async (db) => {
    const tx = db.transaction(["objects", "journal", "photos", "meta"], "readwrite");
    for (const name of ["objects", "journal", "photos", "meta"]) tx.objectStore(name).clear();
    await tx.done;
  }, { ms: BULK_MS });
}
