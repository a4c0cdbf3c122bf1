// On every page: register the service worker, offer "new version — reload" when one waits,
// and offer installing the app (the browser's prompt, or Add to Home Screen steps on iOS).
import { Workbox } from "workbox-window";
import { config } from "./phone/config.js";
import { t } from "./phone/i18n.js";
import { isIos, standalone } from "./phone/platform.js";

function updateBanner(wb) {
  if (document.getElementById("pwa-update")) return;
  const bar = document.createElement("div");
  bar.id = "pwa-update";
  bar.className = "pwa-update";
  bar.setAttribute("role", "status");
  const text = document.createElement("span");
  text.textContent = t("update");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-primary";
  button.textContent = t("reload");
  button.addEventListener("click", () => {
    button.disabled = true;
    wb.addEventListener("controlling", () => location.reload());
    wb.messageSkipWaiting();
  });
  bar.append(text, button);
  document.body.append(bar);
}

function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const wb = new Workbox(config().swUrl, { scope: "/" });
  wb.addEventListener("waiting", () => updateBanner(wb));
  wb.register()
    .then(() => {
      document.documentElement.dataset.sw = "registered";
      // Phones keep the app open for days: look for a new version now and then.
      const check = () => document.visibilityState === "visible" && wb.update().catch(() => {});
      document.addEventListener("visibilitychange", check);
      setInterval(check, 60 * 60 * 1000);
    })
    .catch(() => {
      document.documentElement.dataset.sw = "failed";
    });
}

function offerInstall() {
  let deferred = null;
  const buttons = () => document.querySelectorAll("[data-install]");
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    deferred = event;
    for (const b of buttons()) b.hidden = false;
  });
  window.addEventListener("appinstalled", () => {
    for (const b of buttons()) b.hidden = true;
  });
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-install]");
    if (!button || !deferred) return;
    deferred.prompt();
    await deferred.userChoice.catch(() => null);
    deferred = null;
    button.hidden = true;
  });
  if (isIos() && !standalone()) {
    for (const hint of document.querySelectorAll("[data-ios-install]")) hint.hidden = false;
  }
}

registerWorker();
offerInstall();
// Installed apps keep their storage; ask the browser to keep ours once someone has logged in.
if (config().loggedIn && navigator.storage && navigator.storage.persist) {
  navigator.storage.persist().catch(() => {});
}
