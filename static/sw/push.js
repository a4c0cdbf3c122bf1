// Web Push in the service worker: show the alert the server sent (webapp/alerts/push.py) and,
// on a tap, bring up its page. Only pages of this origin are ever opened. Browsers without
// the Push API (WebKitGTK; Safari outside a Home Screen app) never fire these events.

const ICON = "/static/icons/icon-192.png";
const FALLBACK_TITLE = "巡查 Rounds";

/** `url` resolved against this origin, or null when it names another origin (or none). */
export function sameOriginUrl(url, origin = self.location.origin) {
  if (typeof url !== "string" || !url) return null;
  try {
    const resolved = new URL(url, origin);
    return resolved.origin === origin ? resolved.href : null;
  } catch {
    return null;
  }
}

function readMessage(data) {
  if (!data) return {};
  try {
    const message = data.json();
    return message && typeof message === "object" ? message : {};
  } catch {
    return { body: data.text() };
  }
}

/** The notification for a push message: {title, options}. */
export function notificationFor(message) {
  const options = {
    body: typeof message.body === "string" ? message.body : "",
    icon: ICON,
    badge: ICON,
    data: { url: sameOriginUrl(message.url) },
  };
  if (typeof message.tag === "string" && message.tag) options.tag = message.tag;
  const title = typeof message.title === "string" && message.title ? message.title : FALLBACK_TITLE;
  return { title, options };
}

/** A window already showing `url` is focused; otherwise `url` opens in a new one (never an
 * open page navigated away: it may hold a form being filled in). */
async function openPage(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const showing = windows.find((client) => client.url === url);
  if (showing && "focus" in showing) return showing.focus();
  if (self.clients.openWindow) return self.clients.openWindow(url);
  return null;
}

export function installPush() {
  if (!self.registration || !("showNotification" in self.registration)) return;
  self.addEventListener("push", (event) => {
    const { title, options } = notificationFor(readMessage(event.data));
    event.waitUntil(self.registration.showNotification(title, options));
  });
  self.addEventListener("notificationclick", (event) => {
    event.notification.close();
    const url = sameOriginUrl(event.notification.data && event.notification.data.url);
    if (!url) return; // another origin's page is never opened from our notification
    event.waitUntil(openPage(url).catch(() => null));
  });
}
