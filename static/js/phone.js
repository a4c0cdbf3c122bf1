// On every page: the phone store and sync. A logged-in page gets the device token (from its
// session, once), the first pull runs to completion, and from then on the outbox drains on
// load, on `online`, when the app becomes visible, after each save and every 30 s (plus
// Background Sync in the service worker where the browser has it).
import { config } from "./phone/config.js";
import { search, warm } from "./_finder.js";
import { itemCodeFromPath } from "./codes.js";
import { phone } from "./phone/config.js";
import { hasItemSource, registerItemSource } from "./items.js";
import { mountIndicator, showSetup } from "./status.js";
import * as store from "./store.js";
import { AuthNeeded, NetworkError, obtainToken, onStatus, publish, sessionUser, sync } from "./sync.js";

const EVERY_MS = 30_000;
// Who needs the phone store without asking: patrollers, and anyone opening an item's page.
const PHONE_ROLES = new Set(["patroller"]);

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function itemArticle() {
  return itemCodeFromPath(location.pathname) ? document.querySelector("article.item-page:not(.offline-item)") : null;
}

async function offerItems() {
  // Only a store that holds items is offered: until then the shell says the phone is empty.
  if (hasItemSource()) return;
  const s = await store.itemSource.stats();
  // Typing finds items by short code and by the words of their address (_finder.js).
  if (s.items > 0 && !hasItemSource()) registerItemSource({ ...store.itemSource, search, warm });
}

/** A precached phone page (the shell layout): it names no user, the server is asked. */
function shellPage() {
  return document.body?.classList.contains("pwa-shell");
}

async function ensureToken() {
  const user = phone().user;
  const m = await store.getMetas(["token", "user", "auth"]);
  if (config().loggedIn && user) {
    if (m.token && m.user?.username === user.username && m.auth !== "needed") return;
    const entries = await store.outboxEntries();
    const wanted = PHONE_ROLES.has(user.role) || itemArticle() || m.token || m.auth || entries.length;
    if (!wanted) return;
    await obtainToken(csrfToken());
  } else if (shellPage()) {
    // Login, then a tap away before the home page had its token (the request was cut): any
    // patrol page that finds no token asks the server who is logged in and gets one itself.
    if (m.token && m.auth !== "needed") return showSetup(null);
    showSetup("checking");
    let who;
    try {
      who = await sessionUser();
    } catch (error) {
      showSetup(error instanceof NetworkError ? "unreachable" : "failed", error);
      return;
    }
    if (!who) return showSetup("logged-out");
    try {
      await obtainToken(who.csrf_token);
    } catch (error) {
      showSetup(error instanceof NetworkError ? "unreachable" : error instanceof AuthNeeded ? "logged-out" : "failed", error);
      return;
    }
    showSetup(null);
  } else {
    return;
  }
  if (navigator.storage?.persist) navigator.storage.persist().catch(() => {});
}

let preparing = null;
/** Get a token if this page should and can (one attempt at a time), then sync. */
function prepareAndSync() {
  if (!preparing) {
    preparing = ensureToken()
      .catch(() => {
        // offline, or the session ended: the indicator says what it can, we try again later
      })
      .finally(() => {
        preparing = null;
      });
  }
  return preparing.then(() => sync());
}

function triggers() {
  const go = () => prepareAndSync().catch(() => {});
  window.addEventListener("online", go);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") go();
  });
  setInterval(() => {
    if (document.visibilityState === "visible") go();
  }, EVERY_MS);
  // The worker synced on Background Sync: the page just redraws (status messages arrive).
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type === "rounds-synced") publish().catch(() => {});
  });
}

async function boot() {
  mountIndicator();
  onStatus((message) => {
    if (message.type === "status" && message.items > 0) offerItems().catch(() => {});
  });
  await offerItems().catch(() => {});
  const article = itemArticle();
  if (article) {
    const code = itemCodeFromPath(location.pathname);
    import("./record.js").then((m) => m.mountOnline(article, code)).catch(() => {});
  }
  triggers();
  await prepareAndSync().catch(() => {});
}

boot().catch(() => {});
