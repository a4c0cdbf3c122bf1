// The Rounds service worker, served at /sw.js (root scope).
// Precaches the app shell, CSS, JS, icons and the scanner's wasm; pages and API answers are
// never cached. An item page the phone holds opens from the store when the server is slow;
// any navigation that cannot reach the server gets the offline shell.
import { clientsClaim } from "workbox-core";
import { addPlugins, cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute, setCatchHandler } from "workbox-routing";
import { itemCodeFromPath } from "../js/codes.js";
import { getMetas, itemByCode } from "../js/store.js";
import { sync } from "../js/sync.js";
import { installPush } from "./push.js";

// The server replaces this string with the shell pages and their revisions (see webapp/pwa).
const PAGES = "__ROUNDS_PAGES__";
const SHELL_URL = "/app";
// An item the phone holds opens from the phone's store unless the server answers this fast.
const ITEM_GRACE_MS = 400;
// Any other page: the server's, unless it answers nothing for this long.
const PAGE_TIMEOUT_MS = 10_000;

// Precache fetches carry no cookie, and the browser stores no cookie from their answers: the
// worker installs while the user logs in, and an answer landing after the login must never
// set or clear the new session (issue 15, defect 2). Nothing precached depends on the user.
addPlugins([
  {
    requestWillFetch: async ({ request }) =>
      new Request(request.url, {
        credentials: "omit",
        cache: request.cache === "only-if-cached" ? "default" : request.cache,
        integrity: request.integrity || undefined,
        redirect: "follow",
      }),
  },
]);
precacheAndRoute([...self.__WB_MANIFEST, ...(Array.isArray(PAGES) ? PAGES : [])]);
cleanupOutdatedCaches();
clientsClaim();

// A new version waits until the page says "reload" (the banner), so a form in progress
// is never torn away from under the user.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

// API calls are not routed at all: the browser fetches them as if there were no worker, and a
// page's own code sees (and handles) a failure — nothing is left rejected inside the worker.
// htmx fragments of a precached URL go to the network, never to the cache; a failure answers
// a network error to the page, caught here.
registerRoute(
  ({ request, url }) => url.origin === self.location.origin && !url.pathname.startsWith("/api/") && request.headers.has("HX-Request"),
  async ({ request }) => {
    try {
      return await fetch(request);
    } catch {
      return Response.error();
    }
  },
);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function shellPage() {
  return (await matchPrecache(SHELL_URL)) || Response.error();
}

/** A patroller's home (/) on a phone that is set up: the patrol shell can stand in for it. */
async function patrolHome(url) {
  if (url.pathname !== "/" || url.origin !== self.location.origin) return false;
  try {
    const meta = await getMetas(["token", "user"]);
    return Boolean(meta.token && meta.user && meta.user.role === "patroller");
  } catch {
    return false;
  }
}

/** The code of an item page (/q/<code>, /Q/<CODE>) the phone holds, with a token; else null. */
async function heldItem(url) {
  const code = itemCodeFromPath(url.pathname);
  if (!code || url.origin !== self.location.origin) return null;
  try {
    const [meta, item] = await Promise.all([getMetas(["token"]), itemByCode(code)]);
    return meta.token && item ? code : null;
  } catch {
    return null; // no store (private mode) or a broken code: the server decides
  }
}

// Pages are never cached: they belong to one user. An item page the phone holds is not
// waited for on a weak signal: if the server has not answered within ITEM_GRACE_MS, the
// precached shell opens and shows the item from the phone's store (static/js/shell.js), and
// the page's sync refreshes the store behind it. A patroller's home (/) is the patrol screen,
// which the shell is too: it is not waited for either. Any other page comes from the server;
// with no answer (none at all, or none within PAGE_TIMEOUT_MS) the shell opens instead.
registerRoute(
  new NavigationRoute(async ({ event, request, url }) => {
    const network = fetch(request).catch(() => null); // null: no answer; never a rejection
    event.waitUntil(network.then(() => undefined));
    const held = (await heldItem(url)) || (await patrolHome(url));
    const late = sleep(held ? ITEM_GRACE_MS : PAGE_TIMEOUT_MS).then(() => null);
    const answer = await Promise.race([network, late]);
    return answer || shellPage();
  }),
);

// Background Sync (Chromium): the outbox drains even when no page of the app is open.
// Safari has none; the pages drain on load, `online`, visibility, after saves and every 30 s.
self.addEventListener("sync", (event) => {
  if (event.tag !== "rounds-outbox") return;
  event.waitUntil(
    sync().then(async (result) => {
      for (const client of await self.clients.matchAll({ type: "window" })) {
        client.postMessage({ type: "rounds-synced" });
      }
      // A failure makes the browser try again later with its own back-off.
      if (result && !result.ok && result.reason === "network") throw new Error("offline");
    }),
  );
});

// Web Push: alerts shown as notifications; a tap opens the alert's page (static/sw/push.js).
installPush();

setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    const shell = await matchPrecache(SHELL_URL);
    if (shell) return shell;
  }
  return Response.error();
});
