// The Rounds service worker, served at /sw.js (root scope).
// Precaches the app shell, CSS, JS, icons and the scanner's wasm; pages and API answers are
// never cached, and a navigation that cannot reach the server gets the offline shell.
import { clientsClaim } from "workbox-core";
import { addPlugins, cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute, setCatchHandler } from "workbox-routing";
import { NetworkOnly } from "workbox-strategies";
import { sync } from "../js/sync.js";

// The server replaces this string with the shell pages and their revisions (see webapp/pwa).
const PAGES = "__ROUNDS_PAGES__";
const SHELL_URL = "/app";

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

// Pages come from the server; in a basement with no signal (or a signal that answers nothing
// for 10 s) the shell opens instead. Pages are never cached: they belong to one user.
registerRoute(new NavigationRoute(new NetworkOnly({ networkTimeoutSeconds: 10 })));

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

setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    const shell = await matchPrecache(SHELL_URL);
    if (shell) return shell;
  }
  return Response.error();
});
