// Why a check was recorded without scanning its label (API.md check.record `manual_reason`):
// asked wherever a check is saved from a typed code or a pick from a list — a round's
// checkpoint and the item screen. Big tiles, one per reason (names from webapp/vocab.py
// MANUAL_REASONS via #phone-config), and with "other" a short note, which is required.
import { phone } from "./config.js";
import { h } from "./dom.js";
import { pt } from "./i18n.js";
import { blank, trim } from "./text.js";

export const OTHER = "other";
export const OTHER_NOTE_MAX = 120;
// The prefix of the check's note that carries the "other" reason (the estate's language, as
// the findings' notes): 「其他原因：…」, then the patroller's own note on the next line.
const OTHER_PREFIX = "其他原因：";
const NOTE_MAX = 4000; // the longest note of a check the server takes (sync/schemas.py)
/** The patroller's own note where a reason is asked: room left for the "other" line in front. */
export const OWN_NOTE_MAX = NOTE_MAX - OTHER_PREFIX.length - OTHER_NOTE_MAX - 1;

/**
 * The check's note with the "other" reason's words in front: 「其他原因：<reason>」, a line
 * break, the patroller's note — neither is lost. Without a reason note, the note as it is.
 */
export function noteWithReason(reason, reasonNote, note) {
  const why = reason === OTHER ? trim(reasonNote) : "";
  const own = trim(note);
  return [why ? `${OTHER_PREFIX}${why}` : "", own].filter(Boolean).join("\n");
}

let serial = 0;

/**
 * The picker: `{node, value(), problem(), show(message)}`. `value()` is `{reason, note}` (reason
 * null until one is picked); `problem()` the message that stops a save, or "" when it may go.
 * `onChange(reason)` after every pick.
 */
export function reasonPicker({ method = "manual", onChange = () => {} } = {}) {
  const id = `reason-${++serial}`;
  let reason = null;
  const error = h("p", { class: "field-error reason-error", id: `${id}-error`, role: "alert", hidden: true });
  const note = h("input", {
    type: "text",
    id: `${id}-note`,
    name: "manual_reason_note",
    maxlength: String(OTHER_NOTE_MAX),
    autocomplete: "off",
    enterkeyhint: "done",
    "aria-describedby": `${id}-error`,
  });
  const noteBox = h("div", { class: "field reason-note", hidden: true }, h("label", { for: `${id}-note` }, pt("reasonNote")), note);
  const tiles = (phone().manualReasons || []).map(([value, label]) => {
    const input = h("input", { type: "radio", name: `${id}-reason`, value, "aria-describedby": `${id}-error` });
    input.addEventListener("change", () => {
      reason = value;
      node.dataset.reason = value;
      noteBox.hidden = value !== OTHER;
      show("");
      onChange(value);
      if (value === OTHER) note.focus();
    });
    return h("label", { class: "reason-tile", "data-value": value }, input, h("span", {}, label));
  });
  note.addEventListener("input", () => {
    if (!blank(note.value)) show("");
  });
  const node = h(
    "fieldset",
    { class: "reason-picker", "data-reason-picker": method, "aria-describedby": `${id}-error` },
    h("legend", {}, pt("reasonLegend")),
    h("p", { class: "muted small reason-hint" }, pt(method === "typed" ? "reasonHintTyped" : "reasonHintPicked")),
    h("div", { class: "reason-tiles" }, tiles),
    noteBox,
    error,
  );

  function show(message) {
    error.textContent = message;
    error.hidden = !message;
    node.classList.toggle("is-invalid", Boolean(message));
  }

  return {
    node,
    value: () => ({ reason, note: reason === OTHER ? trim(note.value) : "" }),
    problem() {
      if (!reason) return pt("reasonChoose");
      if (reason === OTHER && blank(note.value)) return pt("reasonNoteNeeded");
      return "";
    },
    /** Say what stops the save at the picker and bring it into view. */
    stop(message) {
      show(message);
      node.scrollIntoView?.({ block: "center" });
      (reason === OTHER ? note : node.querySelector("input"))?.focus({ preventScroll: true });
    },
    reset() {
      reason = null;
      delete node.dataset.reason;
      for (const input of node.querySelectorAll("input[type=radio]")) input.checked = false;
      note.value = "";
      noteBox.hidden = true;
      show("");
    },
  };
}
