// One user action is one op, whatever the fingers do. Every phone form that saves to the
// outbox goes through saveOnce: while a save runs, another tap (a double tap, Enter pressed as
// the button is tapped) does nothing, and the ids of what the form saves are minted once per
// form instance — a repeated save after a failure is the same op (the same op_id and record
// id), never a second one. The ids are new only once a save has gone into the outbox.
import { uuid } from "./phone/photo.js";

/**
 * Wrap a form's save. `save(draft, event)` gets `draft.id(slot)`: the same uuid for a slot
 * until the save succeeds. Returns the handler to put on `submit` (or a button's click);
 * `buttons` are disabled and the form marked aria-busy while a save runs.
 */
export function saveOnce(form, save, { buttons = null } = {}) {
  let busy = false;
  let ids = new Map();
  const draft = {
    id(slot = "op") {
      if (!ids.has(slot)) ids.set(slot, uuid());
      return ids.get(slot);
    },
    /** The action is in the outbox: the next save is a new action with new ids. */
    saved() {
      ids = new Map();
    },
  };
  return async (event) => {
    event?.preventDefault?.();
    if (busy) return;
    busy = true;
    const targets = buttons ? [...buttons] : [...form.querySelectorAll("button[type=submit]")];
    const before = targets.map((b) => b.disabled);
    for (const b of targets) b.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await save(draft, event);
    } finally {
      busy = false;
      targets.forEach((b, i) => {
        b.disabled = before[i];
      });
      form.removeAttribute("aria-busy");
    }
  };
}
