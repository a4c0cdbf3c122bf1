// The sync indicator in the header (pending count, last sync, last problem, progress), the
// banners that must not be missed (a refused entry until it is marked seen; a login needed),
// "export unsynced to a file", and the logout guard.
import { itemCodeFromPath } from "./codes.js";
import { phone } from "./phone/config.js";
import { h } from "./phone/dom.js";
import { aside, fmtTime, pairName, pt, t } from "./phone/i18n.js";
import { mountBadge } from "./phone/net.js";
import * as store from "./store.js";
import { takeBackControl } from "./_takeback.js";
import { onStatus, publish, revokeToken, status, sync } from "./sync.js";

let chip = null;
let panel = null;
let banners = null;
let last = null;
let progress = null;

function errorText(error) {
  if (!error) return "";
  if (error.code === "network") return pt("errNetwork");
  if (error.code === "auth") return pt("errAuth");
  if (error.code === "photo_refused") return pt("errPhoto");
  return pt("errServer", { status: error.status || error.code });
}

function loginHref() {
  const next = itemCodeFromPath(location.pathname) || location.pathname === "/" ? location.pathname : "/";
  return `${phone().loginUrl}?next=${encodeURIComponent(next)}`;
}

function entryWhat(entry) {
  const p = entry.payload;
  if (entry.type === "check.record") return aside(pt("check"), pairName("results", p.result));
  if (entry.type === "finding.create") return aside(pt("finding"), pairName("categories", p.category));
  return entry.type;
}

function drawChip(s) {
  const state = s.authNeeded ? "auth" : s.rejected.length ? "refused" : s.syncing ? "syncing" : s.pending ? "pending" : s.lastError ? "error" : "ok";
  chip.dataset.state = state;
  chip.dataset.pending = String(s.pending);
  const main = s.pending ? pt("toSync", { n: s.pending }) : s.syncing ? pt("syncing") : pt("allSynced");
  chip.querySelector("[data-chip-main]").textContent = main;
  chip.querySelector("[data-chip-sub]").textContent = progress || fmtTime(s.lastSyncAt);
}

function drawPanel(s) {
  const rows = [
    [pt("waiting"), String(s.pending)],
    [pt("lastSync"), fmtTime(s.lastSyncAt)],
    [pt("itemsHeld"), String(s.items)],
  ];
  if (s.lastError) rows.push([pt("lastProblem"), aside(errorText(s.lastError), fmtTime(s.lastError.at))]);
  const body = [
    h("dl", { class: "sync-facts" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    progress ? h("p", { class: "sync-progress", "data-sync-progress": true }, progress) : null,
    s.waitingForOthers ? h("p", { class: "muted small" }, pt("othersWaiting", { n: s.waitingForOthers })) : null,
    s.pending - s.waitingForOthers > 0 ? waitingList(s) : null,
    h(
      "div",
      { class: "sync-actions" },
      h("button", { type: "button", class: "btn btn-primary", "data-sync-now": true, onclick: () => sync() }, pt("syncNow")),
      h("button", { type: "button", class: "btn", "data-export": true, onclick: exportUnsynced }, pt("exportUnsynced")),
    ),
  ];
  panel.querySelector("[data-panel-body]").replaceChildren(...body.filter(Boolean));
}

const WAITING_SHOWN = 20;

/**
 * The user's own entries still waiting to be sent, each with its take-back control (the same
 * audit trail as on the item and key screens: kept in the journal, marked taken back). Drawn
 * from the store when the panel is open.
 */
function waitingList(s) {
  // A take-back question being answered is not redrawn away under the finger.
  const open = panel.querySelector("[data-sync-waiting]");
  if (open?.querySelector("[data-take-back-confirm]")) return open;
  const list = h("ul", { class: "sync-waiting", "data-sync-waiting": true });
  if (panel.hidden) return list;
  const me = s.user?.username || phone().user?.username || null;
  store
    .outboxEntries()
    .then((entries) => {
      const mine = entries.filter((e) => e.state === "pending" && (!me || !e.username || e.username === me));
      list.replaceChildren(
        ...mine.slice(0, WAITING_SHOWN).map((entry) => {
          const li = h(
            "li",
            { class: "sync-waiting-entry", "data-op": entry.op_id },
            h("span", {}, h("strong", {}, entryLabel(entry)), " ", h("span", { class: "muted small" }, entry.item?.label || entry.code || "")),
          );
          li.append(
            takeBackControl(entry, () => {
              li.remove();
              return publish();
            }),
          );
          return li;
        }),
      );
      if (mine.length > WAITING_SHOWN) list.append(h("li", { class: "muted small" }, "…"));
    })
    .catch(() => {});
  return list;
}

function entryLabel(entry) {
  if (entry.type === "check.record" || entry.type === "finding.create") return entryWhat(entry);
  const names = { "key.lend": "keyLend", "key.return": "keyReturn", "key.issue": "keyIssue" };
  return names[entry.type] ? pt(names[entry.type]) : entry.type;
}

function drawBanners(s) {
  const out = [];
  if (s.authNeeded) {
    out.push(
      h(
        "div",
        { class: "sync-banner sync-banner-auth", role: "alert", "data-login-needed": true },
        h("p", {}, s.pending ? aside(pt("errAuth"), pt("toSync", { n: s.pending })) : pt("errAuth")),
        phone().user ? null : h("a", { class: "btn btn-primary", href: loginHref() }, pt("logIn")),
        // A login may never come (the user was deactivated): what waits can leave as a file.
        s.pending ? h("button", { type: "button", class: "btn", "data-export": true, onclick: exportUnsynced }, pt("exportUnsynced")) : null,
      ),
    );
  }
  for (const entry of s.rejected) {
    const r = entry.result || {};
    out.push(
      h(
        "div",
        { class: "sync-banner sync-banner-refused", role: "alert", "data-refused": entry.op_id },
        h("p", {}, h("strong", {}, pt("refusedTitle"))),
        h("p", {}, pt("refusedBody", { what: entryWhat(entry), item: entry.item?.label || entry.code, message: r.message || r.error || "" })),
        h(
          "button",
          {
            type: "button",
            class: "btn",
            "data-ack": entry.op_id,
            onclick: async () => {
              await store.acknowledge(entry.op_id, Date.now());
              await publish();
            },
          },
          pt("seen"),
        ),
      ),
    );
  }
  banners.replaceChildren(...out);
  banners.hidden = out.length === 0;
}

function draw(s) {
  last = s;
  const inUse = s.hasToken || s.pending || s.rejected.length || s.authNeeded || s.user;
  chip.hidden = !inUse;
  document.documentElement.dataset.syncPending = String(s.pending);
  document.documentElement.dataset.syncState = s.syncing ? "syncing" : "idle";
  if (!inUse) {
    banners.hidden = true;
    return;
  }
  drawChip(s);
  drawPanel(s);
  drawBanners(s);
}

async function refresh() {
  try {
    draw(await status());
  } catch {
    // IndexedDB unavailable (private mode): nothing to show
  }
}

/** Download every entry not yet final on the server, photos included, as one JSON file. */
export async function exportUnsynced() {
  const entries = await store.outboxEntries();
  const photos = {};
  for (const e of entries) {
    // An owner key's drawn signature travels like a photo (key.issue's `signature`).
    const shas = [...(e.payload.photos || []), ...(e.payload.signature ? [e.payload.signature] : [])];
    for (const sha of shas) {
      const p = await store.getPhoto(sha);
      if (p && !photos[sha]) {
        let bin = "";
        const bytes = new Uint8Array(p.data);
        for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        photos[sha] = { mime: p.mime, base64: btoa(bin) };
      }
    }
  }
  const m = await store.getMetas(["user", "device_id"]);
  const doc = {
    format: "rounds-unsynced/1",
    exported_at: new Date().toISOString(),
    user: m.user?.username || null,
    device_id: m.device_id || null,
    ops: entries.map((e) => ({ op_id: e.op_id, type: e.type, occurred_at: e.occurred_at, payload: e.payload, state: e.state, result: e.result || null })),
    photos,
  };
  const blob = new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
  const a = h("a", { href: url, download: `rounds-unsynced-${stamp}.json`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return doc;
}

function guardLogout() {
  for (const form of document.querySelectorAll("form.logout")) {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.cleared === "1") return;
      event.preventDefault();
      const s = await status().catch(() => null);
      if (s && (s.pending || s.rejected.length)) {
        const message = s.pending ? pt("logoutBlocked", { n: s.pending }) : pt("logoutRefusedAck");
        showLogoutRefusal(message);
        sync().catch(() => {});
        return;
      }
      await revokeToken().catch(() => {});
      await store.forgetAll().catch(() => {});
      form.dataset.cleared = "1";
      form.submit();
    });
  }
}

function showLogoutRefusal(message) {
  let box = document.getElementById("logout-refused");
  if (!box) {
    box = h("div", { class: "sync-banner sync-banner-logout", id: "logout-refused", role: "alert" });
    banners.before(box);
  }
  box.replaceChildren(
    h("p", {}, message),
    h(
      "div",
      { class: "sync-actions" },
      h("button", { type: "button", class: "btn btn-primary", onclick: () => sync() }, pt("syncNow")),
      h("button", { type: "button", class: "btn", onclick: exportUnsynced }, pt("exportUnsynced")),
      h("button", { type: "button", class: "btn", onclick: () => box.remove() }, pt("close")),
    ),
  );
  box.scrollIntoView({ block: "nearest" });
}

// ---------------------------------------------------------------- "this phone is not set up"

let setupBox = null;

/**
 * Say plainly, on a patrol page, that the phone holds no token and what to do; null hides it.
 * "checking" (asking the server), "logged-out", "unreachable", "failed".
 */
export function showSetup(state, error) {
  if (!state) {
    setupBox?.remove();
    setupBox = null;
    document.documentElement.dataset.setup = "ready";
    return;
  }
  document.documentElement.dataset.setup = state;
  if (!setupBox) {
    setupBox = h("div", { class: "sync-banner sync-banner-setup", id: "phone-setup", role: "status" });
    const main = document.querySelector("main");
    if (main) main.prepend(setupBox);
    else document.body.prepend(setupBox);
  }
  const next = location.pathname + location.search;
  const body = {
    checking: [h("p", {}, t("setupChecking"))],
    "logged-out": [
      h("p", {}, h("strong", {}, t("setupTitle")), " ", t("setupLoggedOut")),
      h("a", { class: "btn btn-primary", href: `${phone().loginUrl}?next=${encodeURIComponent(next)}`, "data-setup-login": true }, pt("logIn")),
    ],
    unreachable: [h("p", {}, h("strong", {}, t("setupTitle")), " ", t("setupUnreachable"))],
    failed: [
      h("p", {}, h("strong", {}, t("setupTitle")), " ", t("setupFailed").replace("{status}", String(error?.status || error?.code || "?"))),
    ],
  }[state];
  setupBox.className = `sync-banner sync-banner-setup${state === "checking" ? "" : " sync-banner-auth"}`;
  setupBox.setAttribute("role", state === "checking" ? "status" : "alert");
  setupBox.dataset.state = state;
  setupBox.replaceChildren(...(body || []));
}

/** Put the indicator in the header and keep it current. */
export function mountIndicator() {
  const bar = document.querySelector(".topbar");
  if (!bar) return;
  chip = h(
    "button",
    { type: "button", class: "sync-chip", id: "sync-chip", hidden: true, "aria-expanded": "false", "aria-controls": "sync-panel", title: pt("sync") },
    h("span", { class: "sync-dot", "aria-hidden": "true" }),
    h("span", { class: "sync-chip-text" }, h("span", { "data-chip-main": true }), h("span", { class: "sync-chip-sub", "data-chip-sub": true })),
  );
  panel = h(
    "div",
    { class: "sync-panel", id: "sync-panel", hidden: true, role: "dialog", "aria-label": pt("sync") },
    h("div", { class: "sync-panel-head" }, h("strong", {}, pt("sync")), h("button", { type: "button", class: "btn", onclick: () => toggle(false) }, pt("close"))),
    h("div", { "data-panel-body": true }),
  );
  banners = h("div", { class: "sync-banners", id: "sync-banners", hidden: true });
  // Before the controls, a header item of its own: on a phone it takes the navigation's row
  // (static/css/app.css), where its words have room.
  const end = bar.querySelector(".topbar-end, #shell-network");
  if (end) end.before(chip);
  else bar.append(chip);
  bar.after(panel);
  const main = document.querySelector("main");
  if (main) main.prepend(banners);
  else panel.after(banners);
  chip.addEventListener("click", () => toggle(panel.hidden));
  guardLogout();
  mountBadge();
  onStatus((message) => {
    if (message.type === "status") {
      if (!message.syncing) progress = null;
      draw(message);
    } else if (message.type === "progress") {
      progress =
        message.phase === "pull"
          ? message.snapshot
            ? `${pt("firstPull")} ${pt("receiving", { n: message.received.toLocaleString() })}`
            : pt("receiving", { n: message.received.toLocaleString() })
          : pt("sending", { done: message.done, total: message.total });
      if (last) draw({ ...last, syncing: true });
    } else if (message.type === "syncing" && last) {
      draw({ ...last, syncing: true });
    }
  });
  refresh();
}

function toggle(open) {
  panel.hidden = !open;
  chip.setAttribute("aria-expanded", String(open));
  if (open) refresh();
}
