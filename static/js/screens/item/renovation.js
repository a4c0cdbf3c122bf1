// A unit's renovation on its page, from the phone's store (so offline too): the permit it is
// under — number, contractor and their phone, allowed working hours, approved scope, end — and
// its rectification notices 《裝修違規整改通知單》: issued from a finding, delivered with a photo,
// signed by the owner on the screen, each an op in the outbox (notice.issue / deliver / sign).
// Words from #phone-renovation-config (templates/pwa/_phone.html).
import { saveOnce } from "../../_save.js";
import { dataBlock, phone } from "../../phone/config.js";
import { h, icon } from "../../phone/dom.js";
import { fill, pt } from "../../phone/i18n.js";
import { preparePhoto } from "../../phone/photo.js";
import { tooLong, trim } from "../../phone/text.js";
import { isoDay, nowWithOffset } from "../../phone/time.js";
import * as store from "../../store.js";
import { onStatus, sync } from "../../sync.js";
import { signaturePad } from "../keys/sign.js";
import { acceptanceSection, reinspectForm } from "./followup.js";
import { addDays, hoursText, noticeList, shownPermits } from "./permits.js";

let words = null;
/** The renovation words and vocabularies of the page. */
export function rw() {
  if (words) return words;
  words = { s: {}, vocab: {}, ...dataBlock("phone-renovation-config") };
  return words;
}
export function rt(key, values = {}) {
  return fill(rw().s[key] || key, values);
}
export function rterm(vocab, value) {
  return (rw().vocab[vocab] || {})[value] || value || "";
}

/** Today on the estate's calendar ("YYYY-MM-DD"). */
export async function estateToday(item) {
  const estate = item.data?.estate_id ? await store.objectOf("estate", item.data.estate_id) : null;
  try {
    return isoDay(Date.now(), estate?.timezone || "UTC");
  } catch {
    return isoDay(Date.now());
  }
}

const TONE = { active: "badge-warn", overrun: "badge-danger", upcoming: "badge-info" };

function permitCard(p) {
  const rows = [
    [rt("contractor"), p.contractor ? [p.contractor, " ", p.contractor_phone ? h("a", { href: `tel:${p.contractor_phone.replace(/[^0-9+]/g, "")}`, class: "permit-phone" }, p.contractor_phone) : null] : "—"],
    [rt("hours"), hoursText(p.hours, rw().s.sep || "、") || "—"],
    [rt("scope"), p.scope || "—"],
    [rt("period"), `${p.starts_on} – ${p.ends_on || "—"}`],
  ];
  return h(
    "div",
    { class: "permit", "data-permit": p.number, "data-state": p.state },
    h("p", { class: "permit-head" }, h("strong", {}, rt("permitNo", { number: p.number })), " ", h("span", { class: `badge ${TONE[p.state] || ""}` }, rterm("permit_state", p.state))),
    h("dl", { class: "item-dl" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
  );
}

/** The unit's permits as a card (null when it has none open). */
export async function permitSection(item) {
  if (item.type !== "unit") return null;
  const [permits, today] = await Promise.all([store.attachedTo(`unit:${item.id}`, "permit"), estateToday(item)]);
  if (!permits.length) return null;
  const shown = shownPermits(
    permits.map((r) => r.data),
    today,
  );
  return h("section", { class: "card item-permit", id: "item-permit", "aria-labelledby": "item-permit-title" }, h("h2", { id: "item-permit-title" }, rt("permitTitle")), shown.map(permitCard));
}

// ---------------------------------------------------------------- rectification notices

const STATUS_TONE = { issued: "badge-warn", delivered: "badge-info", rectified: "badge-ok", overdue: "badge-danger", escalated: "badge-danger" };

// The renovation chain's op types the phone makes (their entries are this section's).
const TITLES = { "notice.issue": "issuedTitle", "notice.deliver": "deliveredTitle", "notice.sign": "signedTitle", "reinspect.result": "reinspectedTitle", "acceptance.record": "acceptanceTitle", "signature.capture": "signedTitle" };
export const isRenovationOp = (type) => Object.hasOwn(TITLES, type || "");

/** A renovation op's title in the item's history (record.js lists this phone's entries). */
export function noticeTitle(entry) {
  return rt(TITLES[entry.type] || entry.type);
}

async function ownEntries(code) {
  const [outbox, journal] = await Promise.all([store.outboxFor(code), store.journalFor(code)]);
  const own = new Map();
  for (const e of [...journal, ...outbox]) own.set(e.op_id, e);
  return [...own.values()].filter((e) => isRenovationOp(e.type));
}
export { ownEntries };

function checkboxes(name, values, checked = []) {
  return h(
    "div",
    { class: "record-choices notice-rules" },
    values.map(([value, label]) =>
      h("label", { class: "record-choice" }, h("input", { type: "checkbox", name, value, checked: checked.includes(value) }), h("span", {}, label)),
    ),
  );
}

export function photoInput(photos, onChange) {
  const input = h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, "data-notice-photo": true });
  input.addEventListener("change", async () => {
    for (const file of [...(input.files || [])]) {
      try {
        const photo = await preparePhoto(file);
        if (!photos.some((p) => p.sha256 === photo.sha256)) photos.push(photo);
      } catch {
        // an unreadable file is skipped; the count below says what was kept
      }
    }
    input.value = "";
    onChange();
  });
  return h("label", { class: "btn record-camera" }, icon("camera"), rt("addPhoto"), input);
}

export async function saveEntry(item, type, payload, photos, draft) {
  let m = {};
  try {
    m = await store.getMetas(["user"]);
  } catch {
    m = {};
  }
  const entry = {
    op_id: draft.id("op"),
    type,
    occurred_at: nowWithOffset(),
    payload,
    code: item.code,
    item: { label: item.label, type: item.type },
    username: m.user?.username || phone().user?.username || "",
    created_at: Date.now(),
    state: "pending",
  };
  await store.saveOps([entry], photos);
  navigator.serviceWorker?.ready.then((reg) => reg.sync && reg.sync.register("rounds-outbox")).catch(() => {});
  sync().catch(() => {});
  return entry;
}

/** The rounds' offer (rounds.js noticeOffer): `#notice:<finding id>:<rule,rule>` opens the
 * notice's form for that finding of this unit, its rules ticked — once (the hash is taken off,
 * so a reload does not open it again). A finding this phone no longer holds: the form still
 * opens, with the rules, and no finding. */
async function offerAsked(section, code, openIssue) {
  const asked = /^#notice:([^:]*):?(.*)$/.exec(location.hash);
  if (!asked || !code) return;
  history.replaceState(history.state, "", `${location.pathname}${location.search}#item-notices`);
  const id = decodeURIComponent(asked[1]);
  const known = new Set(rw().rules.map(([value]) => value));
  const rules = asked[2].split(",").filter((r) => known.has(r));
  const [outbox, journal] = await Promise.all([store.outboxFor(code), store.journalFor(code)]);
  const entry = [...outbox, ...journal].find((e) => e.type === "finding.create" && e.payload?.id === id) || null;
  openIssue(entry, rules);
  // Shown once the page has put the section in: the form is what the patroller came for.
  let frames = 0;
  const show = () => (section.isConnected ? section.scrollIntoView({ block: "start" }) : ++frames < 120 && requestAnimationFrame(show));
  requestAnimationFrame(show);
}

/** The form that issues a notice: rules broken (ticked when the rounds' check named them),
 * deadline, what was seen, photos (the finding's, when it comes from one). */
function issueForm(item, today, finding, done, ticked = []) {
  const photos = [];
  const kept = h("p", { class: "muted small", "data-notice-photos": "0" }, "");
  const drawKept = () => {
    const n = photos.length + (finding?.payload.photos || []).length;
    kept.dataset.noticePhotos = String(n);
    kept.textContent = n ? rt("photosN", { n }) : "";
  };
  drawKept();
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const deadline = h("input", { type: "date", name: "deadline", id: "notice-deadline", value: addDays(today, 7), min: today, required: true });
  const note = h("textarea", { name: "note", rows: "2", maxlength: "2000", id: "notice-note" }, finding?.payload.note || "");
  const form = h(
    "form",
    { class: "record-form notice-form", novalidate: true, "data-notice-form": "issue" },
    finding ? h("p", { class: "muted small" }, rt("fromFinding")) : null,
    h("fieldset", { class: "record-part" }, h("legend", {}, rt("rulesBroken")), checkboxes("rules", rw().rules, ticked)),
    h("div", { class: "field" }, h("label", { for: "notice-deadline" }, rt("deadline")), deadline),
    h("div", { class: "field" }, h("label", { for: "notice-note" }, rt("seen")), note),
    h("div", { class: "record-photos" }, photoInput(photos, drawKept), kept),
    error,
    h("button", { type: "submit", class: "btn btn-primary btn-block btn-tall" }, rt("issue")),
  );
  form.addEventListener("submit", saveOnce(form, async (draft) => {
    const data = new FormData(form);
    const rules = data.getAll("rules").map(String);
    if (!rules.length) return fail(error, rt("needRule"));
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(data.get("deadline") || ""))) return fail(error, rt("needDeadline"));
    // A finding's note (up to 4000) fills this one in: longer than a notice's is said, not cut.
    const note = trim(data.get("note"));
    if (tooLong(note, 2000)) return fail(error, pt("tooLong", { field: rt("note"), n: 2000 }));
    const payload = {
      id: draft.id("notice"),
      code: item.code,
      rules,
      deadline: String(data.get("deadline")),
      note,
      photos: [...new Set([...(finding?.payload.photos || []), ...photos.map((p) => p.sha256)])],
    };
    if (finding) payload.finding_id = finding.payload.id;
    try {
      await saveEntry(item, "notice.issue", payload, photos, draft);
    } catch {
      return fail(error, pt("storeFailed"));
    }
    draft.saved();
    done();
  }));
  return form;
}

function deliverForm(item, notice, done) {
  const photos = [];
  const kept = h("p", { class: "muted small", "data-notice-photos": "0" }, "");
  const drawKept = () => {
    kept.dataset.noticePhotos = String(photos.length);
    kept.textContent = photos.length ? rt("photosN", { n: photos.length }) : "";
  };
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "record-form notice-form", novalidate: true, "data-notice-form": "deliver" },
    h(
      "fieldset",
      { class: "record-part" },
      h("legend", {}, rt("howDelivered")),
      h("div", { class: "record-choices" }, rw().methods.map(([value, label]) => h("label", { class: "record-choice" }, h("input", { type: "radio", name: "method", value }), h("span", {}, label)))),
    ),
    h("div", { class: "field" }, h("label", { for: "notice-recipient" }, rt("recipient")), h("input", { type: "text", name: "recipient", id: "notice-recipient", maxlength: "120" })),
    h("div", { class: "record-photos" }, photoInput(photos, drawKept), kept),
    error,
    h("button", { type: "submit", class: "btn btn-primary btn-block" }, rt("saveDelivery")),
  );
  form.addEventListener("submit", saveOnce(form, async (draft) => {
    const data = new FormData(form);
    const method = String(data.get("method") || "");
    if (!method) return fail(error, rt("needMethod"));
    if (method === "door" && !photos.length) return fail(error, rt("needDoorPhoto"));
    const recipient = trim(data.get("recipient"));
    if (tooLong(recipient, 120)) return fail(error, pt("tooLong", { field: rt("recipient"), n: 120 }));
    const payload = { id: draft.id("delivery"), notice_id: notice.id, method, recipient, photos: photos.map((p) => p.sha256) };
    try {
      await saveEntry(item, "notice.deliver", payload, photos, draft);
    } catch {
      return fail(error, pt("storeFailed"));
    }
    draft.saved();
    done();
  }));
  return form;
}

function signForm(item, notice, done) {
  const pad = signaturePad({ label: rt("ownerSignature"), hint: rt("signHere"), clearText: rt("clear") });
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "record-form notice-form notice-sign", novalidate: true, "data-notice-form": "sign" },
    h("div", { class: "field" }, h("label", { for: "notice-signer" }, rt("ownerName")), h("input", { type: "text", name: "signer_name", id: "notice-signer", maxlength: "120" })),
    pad.element,
    error,
    h("button", { type: "submit", class: "btn btn-primary btn-block" }, rt("saveSignature")),
  );
  form.addEventListener("submit", saveOnce(form, async (draft) => {
    if (pad.isEmpty()) return fail(error, rt("needSignature"));
    const data = new FormData(form);
    const signer = trim(data.get("signer_name"));
    if (tooLong(signer, 120)) return fail(error, pt("tooLong", { field: rt("ownerName"), n: 120 }));
    const photo = await pad.toPhoto();
    const payload = { id: draft.id("signature"), notice_id: notice.id, signature: photo.sha256, signer_name: signer, role: "owner" };
    try {
      await saveEntry(item, "notice.sign", payload, [photo], draft);
    } catch {
      return fail(error, pt("storeFailed"));
    }
    draft.saved();
    done();
  }));
  form.mounted = () => pad.ready();
  return form;
}

export function fail(error, message) {
  error.textContent = message;
  error.hidden = false;
}

function noticeItem(n, open) {
  const number = n.number
    ? h("strong", { class: "notice-number", "data-number": n.number }, rt("noticeNo", { number: n.number }))
    : h("span", { class: "badge badge-warn notice-number", "data-number": "" }, rt("numberOnSync"));
  const rules = n.rules.map((r) => rterm("renovation_rule", r)).join(rw().s.sep || "、");
  return h(
    "li",
    { class: "phone-entry notice-entry", "data-notice": n.id, "data-status": n.shown },
    h(
      "div",
      { class: "phone-entry-head" },
      number,
      " ",
      h("span", { class: `badge ${STATUS_TONE[n.shown] || ""}` }, rterm("notice_status", n.shown)),
      n.repeat ? h("span", { class: "badge badge-danger", "data-repeat": true }, rt("repeat")) : null,
      n.stopWork ? h("span", { class: "badge badge-danger", "data-stop-work": true }, rt("stopWork")) : null,
    ),
    h("p", {}, rules),
    h("p", { class: "muted small" }, [rt("deadlineOn", { date: n.deadline }), n.delivery ? rterm("delivery_method", n.delivery) : "", n.signed ? rt("signed") : ""].filter(Boolean).join(" · ")),
    h(
      "div",
      { class: "notice-actions" },
      n.delivery ? null : h("button", { type: "button", class: "btn btn-sm", "data-notice-deliver": n.id, onclick: () => open("deliver", n) }, rt("recordDelivery")),
      n.signed ? null : h("button", { type: "button", class: "btn btn-sm", "data-notice-sign": n.id, onclick: () => open("sign", n) }, rt("ownerSignature")),
      n.due ? h("button", { type: "button", class: "btn btn-sm btn-primary", "data-notice-reinspect": n.id, onclick: () => open("reinspect", n) }, rt("reinspect")) : null,
    ),
  );
}

/**
 * The unit's rectification notices (a unit under renovation, or with notices already): each
 * with its number, or 「同步後編號」 until the server gives it one; issue a new one (from the
 * finding just saved, if any), record its delivery, the owner's signature. `offer(entry)`
 * is called with each entry the recorder saves: a finding offers a notice for it.
 */
export async function noticeSection(item) {
  if (item.type !== "unit") return null;
  const [notices, acceptance] = await Promise.all([noticesOf(item), acceptanceSection(item).catch(() => null)]);
  if (!acceptance) return notices;
  // The acceptance follows the notices; the pair keeps the notices' refresh and offer.
  const pair = h("div", { class: "item-renovation" }, notices, acceptance);
  pair.refresh = () => notices?.refresh();
  pair.offer = (entry) => notices?.offer(entry);
  return pair;
}

async function noticesOf(item) {
  const itemKey = `unit:${item.id}`;
  const [permits, pulled] = await Promise.all([store.attachedTo(itemKey, "permit"), store.attachedTo(itemKey, "notice")]);
  const renovating = item.data?.status === "renovating" || permits.length > 0;
  if (!renovating && !pulled.length) return null;
  const today = await estateToday(item);
  const list = h("ol", { class: "history-list notice-list" });
  const panel = h("div", { class: "notice-panel" });
  const offerBox = h("div", { class: "notice-offer", hidden: true });
  const start = h("button", { type: "button", class: "btn btn-block", "data-notice-issue": true, onclick: () => open("issue", null) }, rt("issueNotice"));
  const section = h(
    "section",
    { class: "card item-notices", id: "item-notices", "aria-labelledby": "item-notices-title" },
    h("h2", { id: "item-notices-title" }, rt("noticesTitle")),
    offerBox,
    list,
    panel,
    start,
  );
  let finding = null;
  let ticked = [];
  function open(kind, target) {
    const done = () => {
      panel.replaceChildren();
      finding = null;
      ticked = [];
      offerBox.hidden = true;
      refresh().catch(() => {});
    };
    const forms = { issue: issueForm, deliver: deliverForm, sign: signForm, reinspect: reinspectForm };
    const form = kind === "issue" ? issueForm(item, today, target, done, ticked) : forms[kind](item, target, done);
    panel.replaceChildren(form);
    form.mounted?.();
    form.scrollIntoView?.({ block: "nearest" });
  }
  async function refresh() {
    const [fresh, own] = await Promise.all([store.attachedTo(itemKey, "notice"), ownEntries(item.code)]);
    const notices = noticeList(fresh, own, today);
    list.replaceChildren(...(notices.length ? notices.map((n) => noticeItem(n, open)) : [h("li", { class: "empty" }, rt("noNotices"))]));
    section.dataset.drawn = String(Number(section.dataset.drawn || 0) + 1);
  }
  section.refresh = refresh;
  section.offer = (entry) => {
    if (entry?.type !== "finding.create") return;
    finding = entry;
    offerBox.replaceChildren(h("button", { type: "button", class: "btn btn-primary btn-block", "data-notice-from-finding": true, onclick: () => open("issue", finding) }, rt("issueForFinding")));
    offerBox.hidden = false;
  };
  await refresh();
  await offerAsked(section, item.code, (entry, rules) => {
    ticked = rules;
    open("issue", entry);
  });
  const stop = onStatus((message) => {
    if (!section.isConnected) return stop();
    if (message.type === "status" || message.type === "pulled") refresh().catch(() => {});
  });
  return section;
}
