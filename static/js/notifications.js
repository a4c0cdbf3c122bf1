// "Notifications on this device" (templates/alerts/_push_setup.html, on /account/alerts):
// subscribe this browser to Web Push with the server's VAPID key and hand the subscription to
// the server, or withdraw it. Permission is asked only when the button is pressed. On iOS, only the app added to the
// Home Screen can get notifications: a Safari tab is told so. A browser whose permission was
// refused is told where to allow it.
import { dataBlock } from "./phone/config.js";
import { fill } from "./phone/i18n.js";
import { isIos, standalone } from "./phone/platform.js";

const READY_MS = 10_000; // the service worker registers on every page (pwa.js)
// The browser registers with its push service (Google's, Apple's, Mozilla's) on subscribe;
// with that service out of reach it can wait for minutes: the user is told after this.
const SUBSCRIBE_MS = 20_000;

const config = dataBlock("push-config");
const say = (key, values) => fill((config.strings || {})[key] || key, values);

function base64urlBytes(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function bytesBase64url(buffer) {
  const text = btoa(String.fromCharCode(...new Uint8Array(buffer)));
  return text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** `promise`, or an Error(message) after `ms`. */
function within(promise, ms, message) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function registration() {
  return within(navigator.serviceWorker.ready, READY_MS, "no service worker");
}

/** POST JSON with a fresh CSRF token (the page may have been open for hours). */
async function post(url, body) {
  const session = await fetch(config.sessionUrl, { headers: { Accept: "application/json" } });
  if (!session.ok) throw new Error(String(session.status));
  const { csrf_token: token } = await session.json();
  const answer = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
    body: JSON.stringify(body),
  });
  if (!answer.ok) {
    const problem = await answer.json().catch(() => ({}));
    throw new Error(problem.message || String(answer.status));
  }
  return answer.json();
}

function reason(error) {
  return error instanceof TypeError ? say("offline") : error.message || error.name;
}

function control(root) {
  const status = root.querySelector("[data-push-status]");
  const on = root.querySelector("[data-push-on]");
  const off = root.querySelector("[data-push-off]");

  /** state: on | off | denied | ios | unsupported | working; a note replaces the state's text. */
  function show(state, note) {
    root.dataset.state = state;
    status.textContent = note || say(state); // each state has its words in #push-config
    on.hidden = state !== "off";
    off.hidden = state !== "on";
    on.disabled = off.disabled = state === "working";
  }

  async function turnOn() {
    show("working");
    try {
      // Asked here, in the button's click: browsers refuse (or hide) a prompt without one.
      const permission = await Notification.requestPermission();
      if (permission !== "granted") return show(permission === "denied" ? "denied" : "off");
      const pushManager = (await registration()).pushManager;
      const subscribing = pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64urlBytes(config.publicKey),
      });
      const subscription = await within(subscribing, SUBSCRIBE_MS, say("pushTimeout"));
      try {
        await post(config.subscribeUrl, subscription.toJSON());
      } catch (error) {
        await subscription.unsubscribe().catch(() => {});
        throw error;
      }
      show("on");
    } catch (error) {
      show("off", say("failed", { reason: reason(error) }));
    }
  }

  async function turnOff() {
    show("working");
    try {
      const subscription = await (await registration()).pushManager.getSubscription();
      if (subscription) {
        // Offline, the server keeps it until the push service says it is gone (410).
        await post(config.unsubscribeUrl, { endpoint: subscription.endpoint }).catch(() => {});
        await subscription.unsubscribe();
      }
      show("off");
    } catch (error) {
      show("on", say("failed", { reason: reason(error) }));
    }
  }

  /** What this browser holds now; a subscription is posted again, so the server holds it for
   * the user logged in here (another may have held it) with its current keys. */
  async function start() {
    if (isIos() && !standalone()) return show("ios");
    if (!supported()) return show("unsupported");
    if (Notification.permission === "denied") return show("denied");
    let subscription = null;
    try {
      subscription = await (await registration()).pushManager.getSubscription();
    } catch {
      return show("unsupported");
    }
    if (!subscription || Notification.permission !== "granted") return show("off");
    const key = subscription.options && subscription.options.applicationServerKey;
    if (key && bytesBase64url(key) !== config.publicKey) {
      await subscription.unsubscribe().catch(() => {}); // made with an older key: useless now
      return show("off");
    }
    show("on");
    post(config.subscribeUrl, subscription.toJSON()).catch(() => {});
  }

  on.addEventListener("click", turnOn);
  off.addEventListener("click", turnOff);
  start();
}

for (const root of document.querySelectorAll("[data-push]")) control(root);
