// What follows a notice on the phone, offline like the rest of the unit's page: the
// re-inspection on its deadline (rectified, or not — the server then makes the stop-work
// notice 《停工通知》) and the completion acceptance 《裝修審批及竣工驗收表》 — the checklist of
// its version done with engineering, photos, then owner, contractor and manager each drawing
// their signature (PNGs, uploaded like photos). Ops: reinspect.result, acceptance.record,
// signature.capture. Words and the checklist from #phone-renovation-config.
import { saveOnce } from "../../_save.js";
import { h } from "../../phone/dom.js";
import { pt } from "../../phone/i18n.js";
import { overLimit, tooLong, trim } from "../../phone/text.js";
import * as store from "../../store.js";
import { signaturePad } from "../keys/sign.js";
import { acceptanceDue, addDays } from "./permits.js";
import { estateToday, fail, ownEntries, photoInput, rt, rterm, rw, saveEntry } from "./renovation.js";

const zhFirst = () => !/^en\b/i.test(document.documentElement.lang || "");
const textOf = (x) => (zhFirst() ? x.zh : x.en) || x.key;

function photosField(photos) {
  const kept = h("p", { class: "muted small", "data-followup-photos": "0" }, "");
  const draw = () => {
    kept.dataset.followupPhotos = String(photos.length);
    kept.textContent = photos.length ? rt("photosN", { n: photos.length }) : "";
  };
  return h("div", { class: "record-photos" }, photoInput(photos, draw), kept);
}

function radios(name, values, required = true) {
  return h(
    "div",
    { class: "record-choices" },
    values.map(([value, label]) => h("label", { class: "record-choice" }, h("input", { type: "radio", name, value, required }), h("span", {}, label))),
  );
}

/** The re-inspection of a notice: rectified or not, what was seen, photos. */
export function reinspectForm(item, notice, done) {
  const photos = [];
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "record-form notice-form", novalidate: true, "data-notice-form": "reinspect" },
    h("fieldset", { class: "record-part" }, h("legend", {}, rt("reinspectResult")), radios("result", rw().reinspection)),
    h("div", { class: "field" }, h("label", { for: "reinspect-note" }, rt("seen")), h("textarea", { name: "note", id: "reinspect-note", rows: "2", maxlength: "2000" })),
    photosField(photos),
    error,
    h("button", { type: "submit", class: "btn btn-primary btn-block" }, rt("saveReinspection")),
  );
  form.addEventListener("submit", saveOnce(form, async (draft) => {
    const data = new FormData(form);
    const result = String(data.get("result") || "");
    if (!result) return fail(error, rt("needResult"));
    const note = trim(data.get("note"));
    if (tooLong(note, 2000)) return fail(error, pt("tooLong", { field: rt("seen"), n: 2000 }));
    const payload = { id: draft.id("reinspection"), notice_id: notice.id, result, note, photos: photos.map((p) => p.sha256) };
    try {
      await saveEntry(item, "reinspect.result", payload, photos, draft);
    } catch {
      return fail(error, pt("storeFailed"));
    }
    draft.saved();
    done();
  }));
  return form;
}

function acceptanceForm(item, today, done) {
  const { version, items } = rw().acceptance;
  const photos = [];
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const answers = rw().answers;
  const deadline = h("input", { type: "date", name: "deadline", id: "acceptance-deadline", value: addDays(today, 7), min: today });
  const deadlineField = h("div", { class: "field", hidden: true }, h("label", { for: "acceptance-deadline" }, rt("failedDeadline")), deadline);
  const form = h(
    "form",
    { class: "record-form notice-form", novalidate: true, "data-acceptance-form": "record" },
    items.map((i) => h("fieldset", { class: "record-part", "data-item": i.key }, h("legend", {}, textOf(i)), radios(`a_${i.key}`, answers))),
    h("div", { class: "field" }, h("label", { for: "acceptance-engineer" }, rt("engineer")), h("input", { type: "text", name: "engineer", id: "acceptance-engineer", maxlength: "120", required: true })),
    h("div", { class: "field" }, h("label", { for: "acceptance-note" }, rt("note")), h("textarea", { name: "note", id: "acceptance-note", rows: "2", maxlength: "2000" })),
    deadlineField,
    photosField(photos),
    error,
    h("button", { type: "submit", class: "btn btn-primary btn-block btn-tall" }, rt("saveAcceptance")),
  );
  form.addEventListener("change", () => {
    deadlineField.hidden = !items.some((i) => form.querySelector(`input[name=a_${i.key}]:checked`)?.value === "no");
  });
  form.addEventListener("submit", saveOnce(form, async (draft) => {
    const data = new FormData(form);
    const chosen = Object.fromEntries(items.map((i) => [i.key, String(data.get(`a_${i.key}`) || "")]));
    const missing = items.find((i) => !chosen[i.key]);
    if (missing) return fail(error, rt("answerItem", { item: textOf(missing) }));
    const engineer = trim(data.get("engineer"));
    const note = trim(data.get("note"));
    if (!engineer) return fail(error, rt("needEngineer"));
    const over = overLimit([[engineer, 120, rt("engineer")], [note, 2000, rt("note")]]);
    if (over) return fail(error, pt("tooLong", over));
    const failed = Object.values(chosen).includes("no");
    const payload = { id: draft.id("acceptance"), code: item.code, checklist_version: version, answers: chosen, result: failed ? "failed" : "passed", engineer, note, photos: photos.map((p) => p.sha256) };
    if (failed) payload.deadline = String(data.get("deadline") || addDays(today, 7));
    try {
      await saveEntry(item, "acceptance.record", payload, photos, draft);
    } catch {
      return fail(error, pt("storeFailed"));
    }
    draft.saved();
    done(payload.id);
  }));
  return form;
}

const ROLES = ["owner", "contractor", "manager"];

/** Owner, contractor and manager each draw their signature; all three saved together. */
function signaturesForm(item, acceptanceId, done) {
  const pads = ROLES.map((role) => ({ role, pad: signaturePad({ label: rterm("signer_role", role), hint: rt("signHere"), clearText: rt("clear") }) }));
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "record-form notice-form", novalidate: true, "data-acceptance-form": "sign" },
    pads.map(({ role, pad }) =>
      h("div", { class: "acceptance-signer", "data-role": role }, h("div", { class: "field" }, h("label", { for: `sign-${role}` }, rt("signerName", { role: rterm("signer_role", role) })), h("input", { type: "text", name: `name_${role}`, id: `sign-${role}`, maxlength: "120" })), pad.element),
    ),
    error,
    h("button", { type: "submit", class: "btn btn-primary btn-block" }, rt("saveSignatures")),
  );
  form.addEventListener("submit", saveOnce(form, async (draft) => {
    const empty = pads.find(({ pad }) => pad.isEmpty());
    if (empty) return fail(error, rt("needSignatureOf", { role: rterm("signer_role", empty.role) }));
    const data = new FormData(form);
    const names = Object.fromEntries(ROLES.map((role) => [role, trim(data.get(`name_${role}`))]));
    const over = overLimit(ROLES.map((role) => [names[role], 120, rt("signerName", { role: rterm("signer_role", role) })]));
    if (over) return fail(error, pt("tooLong", over));
    try {
      for (const { role, pad } of pads) {
        const photo = await pad.toPhoto();
        const payload = { id: draft.id(`signature-${role}`), subject: "acceptance", subject_id: acceptanceId, role, signature: photo.sha256, signer_name: names[role] };
        await saveEntry(item, "signature.capture", payload, [photo], { id: (k) => draft.id(`${k}-${role}`) });
      }
    } catch {
      return fail(error, pt("storeFailed"));
    }
    draft.saved();
    done();
  }));
  form.mounted = () => pads.forEach(({ pad }) => pad.ready());
  return form;
}

/** The unit's acceptances: this phone's and the pulled ones, newest first. */
function acceptanceList(pulled, own) {
  const byId = new Map(pulled.map((r) => [String(r.id), { id: String(r.id), result: r.data.result, at: r.data.occurred_at, signed: 0 }]));
  for (const e of own) {
    if (e.type === "acceptance.record" && !byId.has(e.payload.id)) byId.set(e.payload.id, { id: e.payload.id, result: e.payload.result, at: e.occurred_at, signed: 0 });
  }
  for (const e of own) {
    const a = e.type === "signature.capture" && e.payload.subject === "acceptance" ? byId.get(e.payload.subject_id) : null;
    if (a) a.signed += 1;
  }
  return [...byId.values()].sort((a, b) => (Date.parse(b.at) || 0) - (Date.parse(a.at) || 0));
}

/** The completion acceptance section of a unit under renovation (null for any other). */
export async function acceptanceSection(item) {
  if (item.type !== "unit") return null;
  const itemKey = `unit:${item.id}`;
  const [permits, pulled] = await Promise.all([store.attachedTo(itemKey, "permit"), store.attachedTo(itemKey, "acceptance")]);
  if (!permits.length && !pulled.length) return null;
  const today = await estateToday(item);
  const list = h("ul", { class: "history-list acceptance-list" });
  const panel = h("div", { class: "acceptance-panel" });
  const start = h("button", { type: "button", class: "btn btn-block", "data-acceptance-start": true }, rt("startAcceptance"));
  const section = h("section", { class: "card item-acceptance", id: "item-acceptance", "aria-labelledby": "item-acceptance-title" }, h("h2", { id: "item-acceptance-title" }, rt("acceptanceTitle")), list, panel, start);
  const show = (form) => {
    panel.replaceChildren(form);
    form.mounted?.();
    form.scrollIntoView?.({ block: "nearest" });
  };
  const sign = (id) => show(signaturesForm(item, id, () => (panel.replaceChildren(), refresh())));
  start.addEventListener("click", () => show(acceptanceForm(item, today, (id) => (refresh(), sign(id)))));
  async function refresh() {
    const [fresh, own] = await Promise.all([store.attachedTo(itemKey, "acceptance"), ownEntries(item.code)]);
    const rows = acceptanceList(fresh, own);
    const permits = await store.attachedTo(itemKey, "permit");
    start.hidden = !acceptanceDue(permits, fresh, own, today);
    list.replaceChildren(
      ...rows.map((a) =>
        h(
          "li",
          { class: "phone-entry acceptance-entry", "data-acceptance": a.id, "data-result": a.result, "data-signed": String(a.signed) },
          h("span", { class: `badge ${a.result === "passed" ? "badge-ok" : "badge-danger"}` }, rterm("acceptance_result", a.result)),
          " ",
          a.signed >= ROLES.length ? rt("signedByThree") : h("button", { type: "button", class: "btn btn-sm", "data-acceptance-sign": a.id, onclick: () => sign(a.id) }, rt("collectSignatures")),
        ),
      ),
    );
  }
  await refresh();
  return section;
}
