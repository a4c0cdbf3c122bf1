// Taking back an entry that still waits in the outbox (a check made on the wrong door, a key
// lent to the wrong name): it is never sent, and the phone keeps it in its journal, marked
// taken back (store.takeBack). Offered wherever the phone lists its waiting entries.
import { phone } from "./phone/config.js";
import { h } from "./phone/dom.js";
import { pt } from "./phone/i18n.js";
import * as store from "./store.js";
import { publish, underLock } from "./sync.js";

// Holding sync.js's lock (tabs and the service worker alike), no push is sending the entry
// while it is taken back; a lock not had in time takes nothing back.
const WAIT_MS = 8000;

class Busy extends Error {}

const busy = () => {
  throw new Busy();
};

/** Take an entry back: {ok: true, entry} or {ok: false, text} saying why not. */
export async function takeBack(opId) {
  try {
    const m = await store.getMetas(["user"]);
    const me = m.user?.username || phone().user?.username || null;
    const entry = await underLock(() => store.takeBack(opId, Date.now(), me), { wait: WAIT_MS, fallback: busy });
    if (entry?.refused) return { ok: false, text: pt("takeBackNotYours") };
    await publish().catch(() => {});
    return entry ? { ok: true, entry } : { ok: false, text: pt("takeBackGone") };
  } catch (error) {
    return { ok: false, text: error instanceof Busy ? pt("takeBackBusy") : pt("takeBackFailed") };
  }
}

/**
 * The take-back control of one waiting entry: a button, then a question answered by a second
 * tap (a slip of the finger takes nothing back). `onDone()` redraws the list.
 */
export function takeBackControl(entry, onDone) {
  const box = h("div", { class: "take-back", "data-take-back-box": entry.op_id });
  const said = h("p", { class: "take-back-said muted small", role: "status", hidden: true });
  const ask = () => {
    box.replaceChildren(
      h("p", { class: "take-back-ask" }, pt("takeBackAsk")),
      h(
        "div",
        { class: "take-back-actions" },
        h("button", { type: "button", class: "btn btn-danger", "data-take-back-confirm": true, onclick: confirm }, pt("takeBackYes")),
        h("button", { type: "button", class: "btn", "data-take-back-keep": true, onclick: idle }, pt("takeBackKeep")),
      ),
      said,
    );
    // Focus stays in the list, on the answer that does nothing.
    box.querySelector("[data-take-back-keep]").focus();
  };
  let busy = false;
  async function confirm(event) {
    if (busy) return;
    busy = true;
    const button = event.currentTarget;
    button.disabled = true;
    const answer = await takeBack(entry.op_id);
    busy = false;
    if (answer.ok) {
      if (onDone) await onDone(answer.entry);
      return;
    }
    said.textContent = answer.text;
    said.hidden = false;
    button.disabled = false;
  }
  function idle() {
    box.replaceChildren(
      h("button", { type: "button", class: "btn take-back-open", "data-take-back": true, onclick: ask }, pt("takeBack")),
    );
  }
  idle();
  return box;
}
