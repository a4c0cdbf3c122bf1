// The key screens' entry. On /app/keys (precached, works offline) it mounts the lend / return
// / issue / stocktake screens from the phone's store. On the front desk's home it makes sure
// the desk's phone holds a device token and the estate's keys (phone.js asks for one only
// for patrollers and item pages), so /app/keys works offline from then on.
import { phone } from "./phone/config.js";
import * as store from "./store.js";
import { obtainToken, sync } from "./sync.js";

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

async function prepareDeskPhone() {
  const user = phone().user;
  if (!user) return;
  const m = await store.getMetas(["token", "user", "auth"]);
  if (m.token && m.user?.username === user.username && m.auth !== "needed") return;
  await obtainToken(csrfToken());
  if (navigator.storage?.persist) navigator.storage.persist().catch(() => {});
  await sync();
}

if (document.getElementById("keys-app")) {
  import("./screens/keys/app.js").then((m) => m.mount());
} else if (document.querySelector("[data-keys-phone]")) {
  // A phone (touch screen) gets ready at once, so the key screens work offline later; a desk
  // computer only when the key screens are opened from it (their page then pulls the keys).
  if (window.matchMedia?.("(pointer: coarse)").matches) prepareDeskPhone().catch(() => {});
  for (const link of document.querySelectorAll("[data-keys-open]")) {
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      try {
        const user = phone().user;
        const m = await store.getMetas(["token", "user"]);
        if (user && !(m.token && m.user?.username === user.username)) await obtainToken(csrfToken());
      } catch {
        // offline or refused: the key screens say what is missing
      }
      location.assign(link.href);
    });
  }
}
