// The sync engine: push the outbox (photos first), then pull what changed. No DOM, so the
// service worker runs it too on Background Sync. An op leaves the outbox only on a final
// answer; a 401 keeps every entry and asks for a login; a 410 pulls a fresh snapshot.
import * as store from "./store.js";

const CHANNEL = "rounds-sync";
const PAGE = 1000;
const BATCH = 100;
const TIMEOUT_MS = 45_000;
const FINAL = new Set(["applied", "duplicate", "conflict"]);

export class AuthNeeded extends Error {}
export class ServerError extends Error {
  constructor(status, code) {
    super(`${status} ${code || ""}`);
    this.status = status;
    this.code = code || "server";
  }
}
export class NetworkError extends Error {}

// ---------------------------------------------------------------- status broadcast

const listeners = new Set();
let channel = null;
try {
  channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (event) => {
    // Another tab's or the worker's newer answer from the server is this page's too.
    const m = event.data;
    if (m?.type === "reach" && m.at > reach.at && !leaving) reach = { state: m.state, at: m.at };
    emitLocal(m);
  };
} catch {
  channel = null;
}

/** Listen to status and progress messages, from this page, other tabs and the worker. */
export function onStatus(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emitLocal(message) {
  for (const fn of listeners) {
    try {
      fn(message);
    } catch {
      // a broken listener must not stop the others
    }
  }
}

function emit(message) {
  emitLocal(message);
  try {
    channel?.postMessage(message);
  } catch {
    // nobody else listens
  }
}

let syncing = false;

/** What the indicator shows: counts, last sync, last problem, whether a login is needed. */
export async function status() {
  const [entries, m, stats] = await Promise.all([
    store.outboxEntries(),
    store.getMetas(["user", "token", "auth", "last_sync_at", "last_error", "snapshotting"]),
    store.itemSource.stats(),
  ]);
  const user = m.user?.username;
  const pending = entries.filter((e) => e.state !== "rejected");
  return {
    type: "status",
    pending: pending.length,
    waitingForOthers: pending.filter((e) => user && e.username && e.username !== user).length,
    rejected: entries.filter((e) => e.state === "rejected"),
    user: m.user || null,
    hasToken: Boolean(m.token),
    authNeeded: m.auth === "needed",
    lastSyncAt: m.last_sync_at || null,
    lastError: m.last_error || null,
    firstPull: Boolean(m.snapshotting),
    items: stats.items,
    syncing,
  };
}

export async function publish() {
  const s = await status();
  emit(s);
  return s;
}

// ---------------------------------------------------------------- does the server answer?

// The header says whether the SERVER answers — the outcome of the last request to it — not
// whether the phone has a network (navigator.onLine says 在線 on a signal that answers
// nothing). A request with no answer after STALL_MS marks it "stalled" until one answers.
const STALL_MS = 4000;
let reach = { state: "unknown", at: 0 };
let leaving = false;
if (typeof addEventListener === "function" && typeof document !== "undefined") {
  // Requests a page cuts as it goes away say nothing about the server.
  addEventListener("pagehide", () => {
    leaving = true;
  });
  addEventListener("pageshow", () => {
    leaving = false;
  });
}

/** The last known answer of the server: {state: "unknown"|"up"|"down"|"stalled", at}. */
export function reachability() {
  return reach;
}

/**
 * What the header badge says of the server: "up", "down", "stalled" or "unknown" (no answer
 * yet). No network at all is "down" at once; otherwise the last request's outcome.
 */
export function serverState() {
  return globalThis.navigator?.onLine === false ? "down" : reach.state;
}

/** Whether the server is known not to answer now (down, or a request left hanging). */
export function serverAway() {
  return ["down", "stalled"].includes(serverState());
}

function noteReach(state) {
  if (leaving) return;
  reach = { state, at: Date.now() };
  emit({ type: "reach", ...reach });
}

/**
 * Ask the server whether it answers (GET /healthz), for a page that has made no request of
 * its own yet — its sync waiting on another tab's lock, say: the badge must not stay 檢查中.
 */
export async function probe() {
  const response = await netFetch("/healthz", { credentials: "omit", cache: "no-store" });
  await response.text().catch(() => "");
  return reach.state;
}

/** fetch(), remembering whether the server answered. Throws NetworkError when it did not. */
async function netFetch(path, init) {
  let answered = false;
  const stall = setTimeout(() => {
    if (!answered) noteReach("stalled");
  }, STALL_MS);
  try {
    const response = await fetch(path, init);
    answered = true;
    // A gateway's own answer: the app server behind it did not answer.
    noteReach([502, 503, 504].includes(response.status) ? "down" : "up");
    return response;
  } catch (error) {
    answered = true;
    noteReach("down");
    throw new NetworkError(String(error));
  } finally {
    clearTimeout(stall);
  }
}

// ---------------------------------------------------------------- HTTP

async function api(path, { method = "GET", body, headers = {}, token } = {}) {
  const controller = typeof AbortController === "function" ? new AbortController() : null;
  const timer = controller && setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await netFetch(path, {
      method,
      body,
      credentials: "omit",
      cache: "no-store",
      headers: { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      signal: controller?.signal,
    });
  } finally {
    if (timer) clearTimeout(timer);
  }
  if (response.status === 401) throw new AuthNeeded("401");
  return response;
}

async function errorOf(response) {
  try {
    const body = await response.json();
    return new ServerError(response.status, body.error);
  } catch {
    return new ServerError(response.status, "server");
  }
}

function deviceName() {
  const ua = navigator.userAgent || "";
  const os = /iPhone|iPad/.test(ua) ? "iOS" : /Android/.test(ua) ? "Android" : navigator.platform || "web";
  const browser = /CriOS|Chrome/.test(ua) ? "Chrome" : /Safari/.test(ua) ? "Safari" : /Firefox/.test(ua) ? "Firefox" : "browser";
  return `巡查 Rounds · ${os} ${browser}`.slice(0, 120);
}

/**
 * Trade the page's logged-in session (cookie + CSRF token) for a device token. A different
 * user than before: the reference data is forgotten (their estates may differ); the outbox
 * is kept, each entry still naming who recorded it.
 */
export async function obtainToken(csrfToken) {
  const response = await netFetch("/api/auth/device", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
    body: JSON.stringify({ device_name: deviceName() }),
  });
  if (response.status === 401) throw new AuthNeeded("401");
  if (!response.ok) throw await errorOf(response);
  const body = await response.json();
  const before = await store.getMetas(["user"]);
  if (before.user && before.user.username !== body.user.username) {
    await store.clearReference();
    await store.setMetas({ cursor: undefined, snapshotting: undefined, last_sync_at: undefined });
  }
  await store.setMetas({
    token: body.token,
    device_id: body.device_id,
    user: body.user,
    estates: body.estates,
    auth: undefined,
    last_error: undefined,
  });
  await publish();
  return body;
}

/**
 * Who this browser session is logged in as, with its CSRF token — how a precached page, which
 * names no user, learns it may trade the session for a device token. null: not logged in.
 * Throws NetworkError when the server cannot be reached, ServerError on another answer.
 */
export async function sessionUser() {
  const response = await netFetch("/api/auth/session", {
    credentials: "same-origin",
    cache: "no-store",
    headers: { Accept: "application/json" },
  });
  if (response.status === 401) {
    await response.text().catch(() => ""); // read to the end: the request is over
    return null;
  }
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** Revoke this phone's token on the server (best effort) before a logout. */
export async function revokeToken() {
  const m = await store.getMetas(["token"]);
  if (!m.token) return;
  try {
    await api("/api/auth/device", { method: "DELETE", token: m.token });
  } catch {
    // offline or already revoked: the token is forgotten here either way
  }
}

// ---------------------------------------------------------------- push

async function uploadPhotos(ctx) {
  const keys = await store.withDB((db) => db.getAllKeys("photos"));
  for (const sha of keys) {
    const photo = await store.getPhoto(sha);
    if (!photo || photo.uploaded) continue;
    const response = await api(`/api/blobs/${sha}`, {
      method: "PUT",
      body: photo.data,
      headers: { "Content-Type": photo.mime },
      token: ctx.token,
    });
    if (response.status === 200 || response.status === 201) {
      await store.putPhoto({ ...photo, uploaded: true });
    } else if ([400, 413, 415].includes(response.status)) {
      // The server will never take this file: stop offering it, say so once.
      const error = await errorOf(response);
      await store.putPhoto({ ...photo, uploaded: true, refused: error.code });
      await store.setMetas({ last_error: { code: "photo_refused", status: response.status, at: Date.now() } });
    } else {
      throw await errorOf(response);
    }
  }
}

async function pushOutbox(ctx) {
  const entries = (await store.outboxEntries()).filter(
    // An entry saved without its user's name (the phone's meta did not answer) is this
    // phone's user's: a user switch is refused while anything waits.
    (e) => e.state !== "rejected" && (!e.username || e.username === ctx.user.username),
  );
  await uploadPhotos(ctx);
  if (!entries.length) return 0;
  let sent = 0;
  for (let i = 0; i < entries.length; i += BATCH) {
    const batch = entries.slice(i, i + BATCH);
    const response = await api("/api/sync/push", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      token: ctx.token,
      body: JSON.stringify({
        device_id: ctx.device_id,
        pending: entries.length - i,
        ops: batch.map((e) => ({ op_id: e.op_id, type: e.type, occurred_at: e.occurred_at, payload: e.payload })),
      }),
    });
    if (response.status === 403) throw new AuthNeeded("403");
    if (!response.ok) throw await errorOf(response);
    const body = await response.json();
    const now = Date.now();
    for (const result of body.results || []) {
      if (result.status === "rejected") {
        await store.markRejected(result.op_id, result);
      } else if (FINAL.has(result.status)) {
        for (const sha of result.data?.missing_blobs || []) {
          const photo = await store.getPhoto(sha);
          if (photo && !photo.refused) await store.putPhoto({ ...photo, uploaded: false });
        }
        await store.settle(result.op_id, result, now);
        sent++;
      }
      // Any other answer: the entry stays and goes again next time (same op_id).
    }
    emit({ type: "progress", phase: "push", done: Math.min(i + BATCH, entries.length), total: entries.length });
  }
  // Photos the server said it lacks go up now, while we are online.
  await uploadPhotos(ctx);
  await store.prunePhotos();
  await store.pruneJournal();
  return sent;
}

// ---------------------------------------------------------------- pull

async function pullChanges(ctx) {
  let m = await store.getMetas(["cursor", "gen", "snapshotting"]);
  let gen = m.gen || 0;
  let cursor = m.cursor || null;
  let snapshotting = Boolean(m.snapshotting);
  let expired = 0;
  if (!cursor && !snapshotting) {
    gen += 1;
    snapshotting = true;
    await store.setMetas({ gen, snapshotting: true });
  }
  let received = 0;
  for (;;) {
    const query = `limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const response = await api(`/api/sync/pull?${query}`, { token: ctx.token });
    if (response.status === 410) {
      // The server no longer honours our position: a fresh snapshot, the outbox untouched.
      if (++expired > 2) throw await errorOf(response);
      gen += 1;
      cursor = null;
      snapshotting = true;
      received = 0;
      await store.setMetas({ gen, snapshotting: true, cursor: undefined });
      continue;
    }
    if (!response.ok) throw await errorOf(response);
    const body = await response.json();
    received += body.changes.length;
    const values = { cursor: body.cursor };
    if (!body.has_more) values.last_pull_at = Date.now();
    await store.applyPage(body.changes, values, gen);
    cursor = body.cursor;
    emit({ type: "progress", phase: "pull", received, snapshot: snapshotting, more: body.has_more });
    if (!body.has_more) break;
  }
  if (snapshotting) {
    await store.dropOlderThan(gen);
    await store.setMetas({ snapshotting: undefined });
  }
  // Checks that aged out of the server's 30-day window arrive as nothing: drop them here.
  await store.pruneRecords();
  // Open item pages redraw their history (a finding's status may have moved).
  if (received) emit({ type: "pulled", received });
  return received;
}

// ---------------------------------------------------------------- one sync

async function runOnce({ push = true } = {}) {
  const m = await store.getMetas(["token", "device_id", "user", "auth"]);
  if (!m.token || m.auth === "needed") return { ok: false, reason: m.auth === "needed" ? "auth" : "no-token" };
  const ctx = { token: m.token, device_id: m.device_id, user: m.user };
  syncing = true;
  emit({ type: "syncing" });
  try {
    const sent = push ? await pushOutbox(ctx) : 0;
    const received = await pullChanges(ctx);
    await store.setMetas({ last_sync_at: Date.now(), last_error: undefined });
    return { ok: true, sent, received };
  } catch (error) {
    const at = Date.now();
    if (error instanceof AuthNeeded) {
      // Every entry stays; the token is useless now. A login brings a new one.
      await store.setMetas({ auth: "needed", token: undefined, last_error: { code: "auth", at } });
      return { ok: false, reason: "auth" };
    }
    const code = error instanceof ServerError ? error.code : error instanceof NetworkError ? "network" : "client";
    await store.setMetas({ last_error: { code, status: error.status || null, at, detail: String(error).slice(0, 200) } });
    return { ok: false, reason: code };
  } finally {
    syncing = false;
  }
}

let running = null;
let again = false;

/** The Web Lock every outbox writer that must not meet a push holds (sync, take-back). */
export const SYNC_LOCK = "rounds-sync";
const LOCK_WAIT_MS = 20_000;

// Without Web Locks (older browsers) this page's own callers still take turns.
let localTurn = Promise.resolve();

/**
 * fn() under the sync lock, one holder at a time across tabs and the worker. When the lock
 * cannot be had within `wait` ms (a frozen tab holding it), `fallback()` runs instead,
 * without the lock: callers give it only what cannot race a push.
 */
export async function underLock(fn, { wait = LOCK_WAIT_MS, fallback = fn } = {}) {
  const locks = globalThis.navigator?.locks;
  if (!locks) {
    const turn = localTurn.then(() => fn());
    localTurn = turn.catch(() => {});
    return turn;
  }
  const signal = typeof AbortSignal.timeout === "function" ? AbortSignal.timeout(wait) : undefined;
  try {
    return await locks.request(SYNC_LOCK, signal ? { signal } : {}, fn);
  } catch (error) {
    if (error && (error.name === "AbortError" || error.name === "TimeoutError")) return fallback();
    throw error;
  }
}

/** Sync now (push, then pull). Calls while one runs make it go round once more. */
export function sync() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    let result;
    try {
      do {
        again = false;
        // A holder that never lets go (a frozen tab) must not stop the phone from pulling;
        // but without the lock nothing is pushed: a take-back may be under way.
        result = await underLock(runOnce, { fallback: () => runOnce({ push: false }) });
      } while (again);
    } finally {
      running = null;
      await publish().catch(() => {});
    }
    return result;
  })();
  return running;
}
