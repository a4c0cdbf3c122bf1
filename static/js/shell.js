// The patrol shell (/app, /scan): what the phone holds, manual code entry with type-ahead,
// and the scanner, which is loaded only when it is opened.
import { config } from "./phone/config.js";
import { t } from "./phone/i18n.js";
import { manualEntry } from "./screens/item/manual.js";
import { explainUnknown } from "./_unknown.js";
import { itemCodeFromPath } from "./codes.js";
import { stats } from "./items.js";
import { serverAway } from "./sync.js";

const $ = (id) => document.getElementById(id);

/**
 * Open an item's page; the time is kept so the bench can measure code-to-item (and, from the
 * scanner, the camera frame the code was read from). With no network — or a server that has
 * just failed or left a request unanswered — the item is shown here, from the store, without
 * loading a page: leaving would only wait on the network to bring this shell back.
 */
export async function openItem(code, method, frameAt = 0) {
  try {
    sessionStorage.setItem("rounds.openedAt", String(Date.now()));
    sessionStorage.setItem("rounds.openedBy", method);
    if (frameAt) sessionStorage.setItem("rounds.frameAt", String(frameAt));
    else sessionStorage.removeItem("rounds.frameAt");
  } catch {
    // Private modes may refuse storage; opening the item matters more.
  }
  const path = config().itemPath + encodeURIComponent(code);
  if (serverAway() && (await showItemFromStore(code, { pushPath: path }))) return;
  location.assign(path);
}

async function showStatus() {
  const box = $("shell-status");
  if (!box) return;
  const s = await stats().catch(() => null);
  const held = box.querySelector("[data-held]");
  const empty = box.querySelector("[data-empty]");
  if (!s) {
    empty.hidden = false;
    held.hidden = true;
    return;
  }
  empty.hidden = true;
  held.hidden = false;
  held.querySelector("[data-count]").textContent = String(s.items);
  held.querySelector("[data-synced]").textContent = s.lastSyncedAt
    ? // The page's language, not the browser's: a zh-Hant page in an en-US browser (WebKit
      // showed "12/4/2026, 10:15:19 PM") still reads 2026/12/4 下午10:15.
      new Date(s.lastSyncedAt).toLocaleString(document.documentElement.lang || "zh-Hant-TW", {
        dateStyle: "short",
        timeStyle: "short",
      })
    : t("never");
}

/**
 * Whether the browser promised to keep the phone's store (navigator.storage.persisted). A
 * browser that cannot say (no StorageManager, as WebKitGTK) has promised nothing either.
 */
async function showStorage() {
  const box = document.querySelector("[data-storage]");
  if (!box) return;
  let kept = false;
  let state = "unknown";
  try {
    if (navigator.storage?.persisted) {
      kept = await navigator.storage.persisted();
      state = String(kept);
    }
  } catch {
    // cannot say: not kept, as far as the patroller should know
  }
  box.dataset.persisted = state;
  for (const e of box.querySelectorAll("[data-storage-kept]")) e.hidden = !kept;
  for (const e of box.querySelectorAll("[data-storage-at-risk]")) e.hidden = kept;
  box.hidden = false;
}

async function openScanner() {
  const section = $("scanner");
  const home = $("shell-home");
  section.hidden = false;
  if (home) home.hidden = true;
  const { startScanner } = await import("./scanner.js");
  // What shows a scanned item offline, loaded while the camera starts rather than after a read.
  import("./record.js").catch(() => {});
  await startScanner(section, {
    baseUrl: config().baseUrl,
    onCode: (code, method, frameAt) => openItem(code, method, frameAt),
    onManual: () => {
      $("manual-code")?.focus();
    },
  });
}

async function closeScanner() {
  const { stopScanner } = await import("./scanner.js");
  stopScanner();
  $("scanner").hidden = true;
  const home = $("shell-home");
  if (home) home.hidden = false;
}

/**
 * Show an item from the phone store (and record on it), in place. The service worker answers
 * /q/<code> with this shell when there is no network; openItem() calls it directly when the
 * phone is offline (`pushPath`: the item's address, put in the history once it shows). False
 * when the phone does not know the item.
 */
async function showItemFromStore(code = null, { pushPath = null } = {}) {
  if (code === null) {
    code = itemCodeFromPath(location.pathname);
    if (!code) return false;
  }
  const view = $("item-view");
  let shown = false;
  try {
    const { showOffline } = await import("./record.js");
    shown = await showOffline(view, code);
  } catch {
    shown = false;
  }
  if (!shown) {
    // In place, the page that is loaded instead says what is true about the code.
    if (!pushPath) await explainUnknown($("shell-not-on-phone"), code);
    return false;
  }
  if (pushPath) {
    import("./scanner.js").then((m) => m.stopScanner()).catch(() => {});
    history.pushState({ roundsItem: code }, "", pushPath);
    // Back to the scanner (or the list): that page is loaded again, as it was.
    window.addEventListener("popstate", () => location.reload(), { once: true });
  }
  for (const id of ["shell-home", "manual", "scanner", "shell-fallback"]) $(id).hidden = true;
  view.hidden = false;
  window.scrollTo(0, 0);
  try {
    const now = Date.now();
    const at = Number(sessionStorage.getItem("rounds.openedAt") || 0);
    const frameAt = Number(sessionStorage.getItem("rounds.frameAt") || 0);
    if (at) document.documentElement.dataset.itemShownMs = String(now - at);
    if (frameAt) document.documentElement.dataset.frameToItemMs = String(now - frameAt);
    sessionStorage.removeItem("rounds.openedAt");
    sessionStorage.removeItem("rounds.frameAt");
  } catch {
    // no sessionStorage: nothing to measure
  }
  // From the navigation's start (the tap), the network's wait included: the stalled-signal bench.
  document.documentElement.dataset.itemShownNavMs = String(Math.round(performance.now()));
  document.documentElement.dataset.itemShown = "1";
  return true;
}

function init() {
  // The service worker answers any page it cannot fetch with this shell: say so, unless the
  // page was an item the phone holds. A patroller's home (/) is this page's own home.
  const own = ["/", "/app", "/scan"];
  if (!own.includes(location.pathname)) {
    $("shell-fallback").hidden = false;
    showItemFromStore();
  }
  // The header badge (#shell-network) is status.js's: whether the server answers.
  showStatus();
  showStorage();
  document.addEventListener("rounds:items-source", showStatus);
  manualEntry(openItem);
  for (const b of document.querySelectorAll("[data-scan-open]")) {
    b.addEventListener("click", (e) => {
      e.preventDefault();
      openScanner();
    });
  }
  for (const b of document.querySelectorAll("[data-scan-close]")) {
    b.addEventListener("click", (e) => {
      e.preventDefault();
      closeScanner();
    });
  }
  if (document.body.dataset.autoscan === "1") openScanner();
}

init();
