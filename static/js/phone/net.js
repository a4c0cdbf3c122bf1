// The shell pages' header badge (#shell-network): whether the SERVER answers — the outcome of
// the last request to it (sync.js's netFetch, this page's or another tab's) — never
// navigator.onLine alone. No network at all is 離線 at once; otherwise 檢查中 until a request
// is answered (在線), fails (離線) or hangs (沒有回應). One badge for every phone page.
import { onStatus, probe, reachability, serverState } from "../sync.js";
import { t } from "./i18n.js";

// No request of the page's own has answered this soon after it opened (its sync may wait
// for another tab's lock): the server is asked once, so the badge says what is true.
const PROBE_AFTER_MS = 1500;

function drawReach() {
  const badge = document.getElementById("shell-network");
  if (!badge) return;
  const state = serverState();
  const words = { up: t("online"), down: t("offline"), stalled: t("noAnswer"), unknown: t("checking") };
  const tone = { up: "badge-ok", down: "badge-warn", stalled: "badge-warn", unknown: "" };
  badge.textContent = words[state] || words.unknown;
  badge.className = `badge shell-network ${tone[state] ?? ""}`.trim();
  badge.dataset.reach = state;
}

/** Draw the badge and keep it current. */
export function mountBadge() {
  drawReach();
  if (document.getElementById("shell-network")) {
    setTimeout(() => {
      if (reachability().state === "unknown") probe().catch(() => {});
    }, PROBE_AFTER_MS);
  }
  window.addEventListener("online", drawReach);
  window.addEventListener("offline", drawReach);
  onStatus((message) => {
    if (message.type === "reach") drawReach();
  });
}
