// The checklist of one checkpoint on the phone: prefilled from the last visit, a no-access
// outcome for units, photos through phone/photo.js, and what a failed item makes (a finding).
import { h, icon } from "../../phone/dom.js";
import { preparePhoto } from "../../phone/photo.js";
import { trim } from "../../phone/text.js";
import { OWN_NOTE_MAX, reasonPicker } from "../../phone/reason.js";
import { saveOnce } from "../../_save.js";
import { failed } from "./findings.js";
import { rs, textOf } from "./ui.js";

// A failed item's finding category (the review screens' zh categories), by round and item.
const CATEGORY = { signage: "標識問題", renovation: "裝修違規" };
const VACANT_CATEGORY = {
  shut: "門窗損壞",
  utilities_off: "安全隱患",
  no_leaks: "漏水",
  no_damage: "設施損壞",
  no_pests: "蟲害",
  no_intrusion: "安全隱患",
};

/** The finding severity a failed item creates (webapp/rounds/defaults.py severity_of). */
export function severityOf(item) {
  if (item.critical) return "critical";
  return item.severity || "medium";
}

export function categoryOf(kind, item) {
  if (item.category) return item.category;
  if (kind === "vacant") return VACANT_CATEGORY[item.key] || "其他";
  return CATEGORY[kind] || "其他";
}

// Whether an answer fails its item: the rule the server reads too (sync/derived.py failed).
export { failed };

function choicesOf(item) {
  if (item.type === "yesno") {
    return [
      ["yes", rs("yes"), "ok"],
      ["no", rs("no"), "bad"],
      ["na", rs("na"), "na"],
    ];
  }
  return (item.choices || []).map((c) => {
    const good = !Array.isArray(item.ok) || !item.ok.length || item.ok.includes(c.value);
    return [c.value, textOf(c), good ? "ok" : "bad"];
  });
}

/**
 * A camera button and the thumbnails of the photos in `list` (kept in place: the caller reads
 * the same array). `onChange(n)` after each change.
 */
function photoPicker(list, attrs, onChange, busy, fail, label = rs("takePhoto")) {
  const thumbs = h("ul", { class: "record-thumbs" });
  const file = h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, ...attrs });
  const draw = () => {
    onChange(list.length);
    thumbs.replaceChildren(
      ...list.map((p, i) => {
        const url = URL.createObjectURL(new Blob([p.data], { type: p.mime }));
        const img = h("img", { src: url, alt: "", width: "72", height: "72" });
        img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
        const remove = () => {
          list.splice(i, 1);
          draw();
        };
        return h("li", {}, img, h("button", { type: "button", class: "record-thumb-remove", "aria-label": rs("removePhoto"), onclick: remove }, "×"));
      }),
    );
  };
  file.addEventListener("change", async () => {
    const files = [...(file.files || [])];
    file.value = "";
    busy.hidden = false;
    for (const f of files) {
      try {
        const p = await preparePhoto(f);
        if (!list.some((x) => x.sha256 === p.sha256)) list.push(p);
      } catch {
        fail(rs("photoFailed"));
      }
    }
    busy.hidden = true;
    draw();
  });
  draw();
  return [h("label", { class: "btn btn-block rp-camera" }, icon("camera", 24), label, file), thumbs];
}

/**
 * The form. `ctx`: {round, point, version, items, prefill, kind, method, onReason}. `onSave(result)`
 * gets {result, answers, note, photos, failures: [{item, value}], reason, manual}: `manual` is
 * {reason, note} — why the label was not scanned — for a check not scanned (`method` "manual"
 * or "typed"), asked at the top of the form and required before it saves; else null.
 */
export function checklistForm(ctx, onSave) {
  const { items, prefill } = ctx;
  const picker = ctx.method && ctx.method !== "scan" ? reasonPicker({ method: ctx.method, onChange: ctx.onReason }) : null;
  const answers = {};
  const photos = {}; // item key -> [photo]
  let outcome = "checked";
  const error = h("p", { class: "field-error rp-error", role: "alert", hidden: true });
  const busy = h("p", { class: "muted small", hidden: true }, rs("preparingPhoto"));
  const parts = [];

  if (prefill) {
    for (const item of items) {
      const v = prefill.answers[item.key];
      if (v === undefined || v === null || v === "") continue;
      if (item.type === "yesno" || item.type === "choice" || item.type === "number") answers[item.key] = v;
    }
  }

  // A checklist's 備註 item (key "note", as the vacant-unit list has) is the form's note box
  // below, not a second box: its text goes to both the check's note and that answer.
  const noteItem = items.find((i) => i.type === "text" && i.key === "note") || null;
  const fieldsets = items.filter((item) => item !== noteItem).map((item, index) => {
    const id = `rp-q-${index}`;
    const legend = h(
      "legend",
      { id: `${id}-label` },
      h("span", { class: "rp-q-text" }, textOf(item)),
      item.critical ? h("span", { class: "badge badge-danger rp-q-flag" }, rs("critical")) : null,
      item.required ? h("span", { class: "rp-q-req", "aria-label": rs("required") }, " *") : null,
    );
    const warn = h("p", { class: "rp-q-warn", role: "status", hidden: true });
    const box = h("fieldset", { class: `rp-q rp-q-${item.type}`, "data-key": item.key, "data-type": item.type }, legend);
    const showWarn = () => {
      const bad = failed(item, answers[item.key]);
      box.classList.toggle("is-failed", bad);
      warn.hidden = !bad;
      warn.textContent = bad ? rs(severityOf(item) === "critical" ? "willCritical" : "willFinding") : "";
    };
    if (item.type === "yesno" || item.type === "choice") {
      const opts = choicesOf(item);
      const grid = h("div", { class: `rp-opts rp-opts-${Math.min(opts.length, 3)}` });
      for (const [value, label, tone] of opts) {
        const input = h("input", { type: "radio", name: `q-${item.key}`, value, "aria-describedby": `${id}-label` });
        if (answers[item.key] === value) input.checked = true;
        input.addEventListener("change", () => {
          answers[item.key] = value;
          showWarn();
        });
        grid.append(h("label", { class: `rp-opt tone-${tone}`, "data-value": value }, input, h("span", {}, label)));
      }
      box.append(grid, warn);
      box.sync = () => {
        for (const input of grid.querySelectorAll("input")) input.checked = input.value === answers[item.key];
        showWarn();
      };
      showWarn();
    } else if (item.type === "number") {
      const input = h("input", { type: "number", inputmode: "numeric", min: "0", step: "1", id, name: `q-${item.key}`, "aria-labelledby": `${id}-label` });
      if (answers[item.key] !== undefined) input.value = String(answers[item.key]);
      input.addEventListener("input", () => {
        if (input.value === "") delete answers[item.key];
        else answers[item.key] = Number(input.value);
      });
      box.append(input);
    } else if (item.type === "text") {
      const input = h("textarea", { rows: "2", maxlength: "1000", id, name: `q-${item.key}`, "aria-labelledby": `${id}-label` });
      input.addEventListener("input", () => {
        const v = trim(input.value);
        if (v) answers[item.key] = v;
        else delete answers[item.key];
      });
      box.append(input);
    } else if (item.type === "photo") {
      photos[item.key] = [];
      box.append(
        ...photoPicker(photos[item.key], { "data-rp-photo": item.key }, (n) => {
          box.dataset.photos = String(n);
        }, busy, fail),
      );
    }
    parts.push([item, box]);
    return box;
  });

  const allGood = h(
    "button",
    {
      type: "button",
      class: "btn btn-block rp-allgood",
      onclick: () => {
        for (const [item, box] of parts) {
          if (item.type === "yesno") answers[item.key] = "yes";
          else if (item.type === "choice") {
            const good = (item.choices || []).find((c) => !Array.isArray(item.ok) || !item.ok.length || item.ok.includes(c.value));
            if (good) answers[item.key] = good.value;
          }
          box.sync?.();
        }
      },
    },
    rs("allInOrder"),
  );

  // With an "other" reason its words go in front of the note (reason.js noteWithReason): room for both.
  const noteMax = picker ? OWN_NOTE_MAX : 4000;
  const note = h("textarea", { id: "rp-note", name: "note", rows: "3", maxlength: String(noteMax), placeholder: rs("notePlaceholder") });
  const checklistPart = h("div", { class: "rp-questions" }, items.some((i) => i.type === "yesno" || i.type === "choice") ? allGood : null, fieldsets);

  // No access (nobody home, refused): a photo of the door or the notice left is evidence.
  const accessPhotos = [];
  const outcomePhotos = h("div", { class: "rp-outcome-photos", hidden: outcome === "checked" });
  outcomePhotos.append(
    ...photoPicker(accessPhotos, { "data-rp-outcome-photo": true }, (n) => {
      outcomePhotos.dataset.rpOutcomePhotos = String(n);
    }, busy, fail, rs("outcomePhoto")),
  );
  let outcomePart = null;
  if (ctx.point.type === "unit") {
    const opts = [
      ["checked", rs("outcomeChecked")],
      ["nobody_home", rs("outcomeNobody")],
      ["refused", rs("outcomeRefused")],
    ];
    outcomePart = h(
      "fieldset",
      { class: "rp-outcome" },
      h("legend", {}, rs("outcome")),
      h("p", { class: "muted small rp-outcome-hint" }, rs("outcomeHint")),
      h(
        "div",
        { class: "rp-opts rp-opts-3" },
        opts.map(([value, label]) => {
          const input = h("input", { type: "radio", name: "outcome", value });
          if (value === outcome) input.checked = true;
          input.addEventListener("change", () => {
            outcome = value;
            checklistPart.hidden = outcome !== "checked";
            outcomePhotos.hidden = outcome === "checked";
            form.dataset.outcome = outcome;
          });
          return h("label", { class: `rp-opt tone-${value === "checked" ? "ok" : "na"}`, "data-value": value }, input, h("span", {}, label));
        }),
      ),
    );
  }

  const form = h(
    "form",
    { class: "rp-form", novalidate: true, "data-outcome": outcome },
    picker?.node,
    outcomePart,
    checklistPart,
    outcomePhotos,
    h("div", { class: "field rp-note" }, h("label", { for: "rp-note" }, noteItem ? textOf(noteItem) : rs("note")), note),
    busy,
    error,
    h("button", { type: "submit", class: "btn btn-primary btn-block btn-huge rp-save" }, rs("saveCheck")),
  );

  function fail(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  // One tap, one check (_save.js): the save's ids stay the same until it is in the outbox.
  form.addEventListener("submit", saveOnce(form, async (draft) => {
    fail("");
    const text = trim(note.value);
    const problem = picker?.problem();
    if (problem) {
      // Not scanned and no reason yet: said at the picker, and under the save button too.
      picker.stop(problem);
      fail(problem);
      return;
    }
    const manual = picker ? picker.value() : null;
    if (outcome !== "checked") {
      // As the sync contract names it (docs/sync-protocol.md): answers.no_access = "nobody_home" | "refused".
      const shown = [...accessPhotos];
      const answers = { no_access: outcome === "refused" ? "refused" : "nobody_home" };
      await onSave({ result: "no_access", answers, note: text, photos: shown, failures: [], reason: outcome, manual }, draft);
      return;
    }
    const missing = items.filter((i) => i.required && (i.type === "photo" ? !photos[i.key]?.length : answers[i.key] === undefined));
    if (missing.length) {
      fail(rs("answerRequired", { item: textOf(missing[0]) }));
      form.querySelector(`[data-key="${CSS.escape(missing[0].key)}"]`)?.scrollIntoView({ block: "center" });
      return;
    }
    const failures = items.filter((i) => failed(i, answers[i.key])).map((i) => ({ item: i, value: answers[i.key] }));
    const out = { ...answers };
    if (noteItem && text) out[noteItem.key] = text;
    const allPhotos = [];
    for (const [key, list] of Object.entries(photos)) {
      if (list.length) out[key] = list.map((p) => p.sha256);
      for (const p of list) if (!allPhotos.some((x) => x.sha256 === p.sha256)) allPhotos.push(p);
    }
    await onSave({ result: failures.length ? "issue" : "ok", answers: out, note: text, photos: allPhotos, failures, reason: null, manual }, draft);
  }));

  return form;
}
