// Recording on an item, with or without a network: a check (ok / issue / no access) or a
// finding (severity, category), a note and photos. Saved to the outbox first, always; the
// sync engine sends it. Also: the item's history on this phone, and the offline item view.
import { dataBlock, phone } from "../../phone/config.js";
import { h, icon } from "../../phone/dom.js";
import { aside, floorName, fmtTime, pairName, pt, term } from "../../phone/i18n.js";
import { preparePhoto } from "../../phone/photo.js";
import { noteWithReason, OWN_NOTE_MAX, reasonPicker } from "../../phone/reason.js";
import { tooLong, trim } from "../../phone/text.js";
import { nowWithOffset } from "../../phone/time.js";
import { saveOnce } from "../../_save.js";
import { takeBackControl } from "../../_takeback.js";
import * as store from "../../store.js";
import { onStatus, serverState, sync } from "../../sync.js";
import { isRenovationOp, noticeSection, noticeTitle, permitSection } from "./renovation.js";

const RECENT_MS = 2 * 60 * 1000;

/**
 * How the item was reached: "typed" when its code was typed from the label just now, "manual"
 * when it was picked from the suggestions or found by address, else "scan".
 */
function method() {
  try {
    const by = sessionStorage.getItem("rounds.openedBy");
    const at = Number(sessionStorage.getItem("rounds.openedAt") || 0);
    if ((by === "manual" || by === "typed") && Date.now() - at < RECENT_MS) return by;
  } catch {
    // no sessionStorage: a label opened the page
  }
  return "scan";
}

function radios(name, options, cls) {
  return h(
    "div",
    { class: `record-choices ${cls}` },
    options.map(([value, label]) =>
      h("label", { class: `record-choice choice-${value}` }, h("input", { type: "radio", name, value }), h("span", {}, label)),
    ),
  );
}

function requestBackgroundSync() {
  navigator.serviceWorker?.ready
    .then((reg) => reg.sync && reg.sync.register("rounds-outbox"))
    .catch(() => {});
}

/** The record form for one item; onSaved runs after the op is safely in the outbox. */
export function recorder(item, onSaved) {
  const cfg = phone();
  const how = method(); // read now: the shell clears its timing mark once the item shows
  const photos = [];
  let kind = "check";
  const thumbs = h("ul", { class: "record-thumbs" });
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const saved = h("p", { class: "record-saved", role: "status", hidden: true }, pt("saved"));
  const busy = h("p", { class: "muted small", hidden: true }, pt("resizing"));
  const fileInput = h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, "data-record-photo": true });
  // A check not scanned asks why (phone/reason.js); an "other" reason's words go in front of the note.
  const picker = how === "scan" ? null : reasonPicker({ method: how });
  const note = h("textarea", { name: "note", rows: "3", maxlength: String(picker ? OWN_NOTE_MAX : 4000), placeholder: pt("notePlaceholder"), id: "record-note" });
  const category = h(
    "select",
    { name: "category", id: "record-category" },
    h("option", { value: "" }, pt("choose")),
    cfg.categories.map(([v, label]) => h("option", { value: v }, label)),
  );
  const checkPart = h(
    "div",
    { class: "record-check", "data-part": "check" },
    picker?.node,
    h("fieldset", { class: "record-part" }, h("legend", {}, pt("result")), radios("result", cfg.results, "record-results")),
  );
  const findingPart = h(
    "fieldset",
    { class: "record-part", "data-part": "finding", hidden: true },
    h("legend", {}, pt("severity")),
    radios("severity", cfg.severities, "record-severities"),
    h("div", { class: "field" }, h("label", { for: "record-category" }, pt("category")), category),
  );
  const tabs = h(
    "div",
    { class: "record-tabs", role: "group" },
    ["check", "finding"].map((k) =>
      h("button", { type: "button", class: "btn record-tab", "data-kind": k, "aria-pressed": String(k === kind), onclick: () => setKind(k) }, pt(k)),
    ),
  );
  const form = h(
    "form",
    { class: "record-form", novalidate: true, "data-kind": kind },
    tabs,
    checkPart,
    findingPart,
    h("div", { class: "field" }, h("label", { for: "record-note" }, pt("note")), note),
    h(
      "div",
      { class: "record-photos" },
      h("label", { class: "btn record-camera" }, icon("camera"), pt("addPhoto"), fileInput),
      busy,
      thumbs,
    ),
    error,
    h("button", { type: "submit", class: "btn btn-primary btn-block btn-tall record-save" }, pt("save")),
  );
  const section = h("section", { class: "card record", id: "record", "aria-labelledby": "record-title" }, h("h2", { id: "record-title" }, pt("record")), form, saved);

  // "Saved" speaks of the entry just saved: it goes once the next one is begun.
  form.addEventListener("input", () => {
    saved.hidden = true;
  });

  function setKind(next) {
    if (next !== kind) saved.hidden = true;
    kind = next;
    form.dataset.kind = kind;
    for (const b of tabs.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.kind === kind));
    checkPart.hidden = kind !== "check";
    findingPart.hidden = kind !== "finding";
    error.hidden = true;
  }

  function drawThumbs() {
    thumbs.replaceChildren(
      ...photos.map((p, i) => {
        const url = URL.createObjectURL(new Blob([p.data], { type: p.mime }));
        const img = h("img", { src: url, alt: "", width: "72", height: "72" });
        img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
        return h(
          "li",
          {},
          img,
          h("button", { type: "button", class: "record-thumb-remove", "aria-label": pt("removePhoto"), onclick: () => { photos.splice(i, 1); drawThumbs(); } }, "×"),
        );
      }),
    );
  }

  fileInput.addEventListener("change", async () => {
    const files = [...(fileInput.files || [])];
    fileInput.value = "";
    busy.hidden = false;
    for (const file of files) {
      try {
        const photo = await preparePhoto(file);
        if (!photos.some((p) => p.sha256 === photo.sha256)) photos.push(photo);
      } catch {
        error.textContent = pt("photoFailed");
        error.hidden = false;
      }
    }
    busy.hidden = true;
    drawThumbs();
    form.dataset.photos = String(photos.length);
  });

  // One tap, one entry: see _save.js (the op's ids stay the same until it is in the outbox).
  const submit = saveOnce(form, async (draft) => {
    error.hidden = true;
    const data = new FormData(form);
    const text = trim(data.get("note"));
    const shas = photos.map((p) => p.sha256);
    let type;
    let payload;
    if (kind === "check") {
      const result = data.get("result");
      const problem = picker?.problem();
      if (problem) {
        picker.stop(problem);
        return fail(problem);
      }
      if (!result) return fail(pt("chooseResult"));
      type = "check.record";
      payload = { id: draft.id("record"), code: item.code, method: how, result, answers: {}, photos: shas };
      const why = picker ? picker.value() : null;
      if (why) payload.manual_reason = why.reason;
      const full = why ? noteWithReason(why.reason, why.note, text) : text;
      if (tooLong(full, 4000)) return fail(pt("tooLong", { field: pt("note"), n: 4000 }));
      if (full) payload.note = full;
    } else {
      const severity = data.get("severity");
      const cat = data.get("category");
      if (!severity || !cat) return fail(pt("chooseFinding"));
      if (tooLong(text, 4000)) return fail(pt("tooLong", { field: pt("note"), n: 4000 }));
      type = "finding.create";
      payload = { id: draft.id("record"), code: item.code, severity, category: cat, note: text, photos: shas };
    }
    let m;
    try {
      m = await store.getMetas(["user"]);
    } catch {
      m = {}; // the user is known from the page; the save below says if the store is gone
    }
    const entry = {
      op_id: draft.id("op"),
      type,
      occurred_at: nowWithOffset(),
      payload,
      code: item.code,
      item: { label: item.label, type: item.type },
      username: m.user?.username || cfg.user?.username || "",
      created_at: Date.now(),
      state: "pending",
    };
    try {
      await store.saveOp(entry, photos);
    } catch {
      // Not saved: say so loudly and keep everything in the form to tap Save again.
      section.dataset.storeFailed = String(Number(section.dataset.storeFailed || 0) + 1);
      return fail(pt("storeFailed"));
    }
    draft.saved();
    photos.splice(0);
    form.reset();
    picker?.reset(); // the next check on the item says its own reason
    setKind(kind);
    drawThumbs();
    form.dataset.photos = "0";
    saved.hidden = false;
    section.dataset.saved = String(Number(section.dataset.saved || 0) + 1);
    if (onSaved) onSaved(entry);
    requestBackgroundSync();
    sync().catch(() => {});
  });
  form.addEventListener("submit", submit);

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
  }

  return section;
}

// ---------------------------------------------------------------- the item's history

// Words of the pulled history (templates/pwa/_phone.html, block "phone-history-config").
let historyWords = null;
function hw() {
  if (historyWords) return historyWords;
  historyWords = { ...dataBlock("phone-history-config") };
  historyWords.s ??= {};
  historyWords.statuses ??= {};
  historyWords.departments ??= {};
  return historyWords;
}
function ht(key, values = {}) {
  const text = hw().s[key] || key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

const STATUS_BADGE = { open: "badge-warn", dispatched: "badge-info", fixed: "badge-ok", reinspected: "badge-ok", closed: "", reopened: "badge-danger" };
const OWN_OPEN = new Set(["pending", "rejected"]);

function titleOf(entry) {
  const p = entry.payload;
  if (entry.type === "check.record") return pt("checkTitle", { result: pairName("results", p.result) });
  if (entry.type === "finding.create") {
    return pt("findingTitle", { severity: pairName("severities", p.severity), category: pairName("categories", p.category) });
  }
  if (isRenovationOp(entry.type)) return noticeTitle(entry);
  return entry.type;
}

function badgeOf(entry) {
  if (entry.state === "pending") return h("span", { class: "badge badge-warn" }, pt("pendingBadge"));
  if (entry.state === "rejected") return h("span", { class: "badge badge-danger" }, pt("refusedBadge"));
  if (entry.state === "conflict") return h("span", { class: "badge badge-info" }, pt("conflictBadge"));
  if (entry.state === "withdrawn") return h("span", { class: "badge" }, pt("takenBackBadge"));
  return h("span", { class: "badge badge-ok" }, pt("syncedBadge"));
}

/** A pulled record in the shape of an own entry (type, payload) so one renderer serves both. */
function fromRecord(r) {
  const d = r.data;
  const finding = r.type === "finding";
  return {
    op_id: d.op_id || `${r.type}:${r.id}`,
    type: finding ? "finding.create" : "check.record",
    payload: finding
      ? { id: r.id, severity: d.severity, category: d.category, note: d.note, photos: d.photos || [] }
      : { id: r.id, result: d.result, note: d.note, photos: d.photos || [], manual_reason: d.manual_reason ?? null },
    at: r.at,
    by: d.by || "",
    status: finding ? d.status : null,
    department: finding ? d.department : null,
    due_at: finding ? d.due_at : null,
  };
}

function ownTime(e) {
  return Date.parse(e.occurred_at) || e.created_at || 0;
}

/**
 * The item's recent history: pulled checks (last 30 days) and findings (status as the server
 * last said), and this phone's own entries — one row per record, the phone's pending or
 * refused state shown over the pulled copy. Newest first.
 */
export async function historyEntries(code, itemKey = null, { pulled = true, now = Date.now(), limit = 40 } = {}) {
  const [outbox, journal, records] = await Promise.all([
    store.outboxFor(code),
    store.journalFor(code),
    pulled ? store.recordsFor(code, itemKey, now) : [],
  ]);
  const own = new Map();
  for (const e of [...journal, ...outbox]) own.set(e.op_id, e); // the outbox wins: it is newer
  const ownByRecord = new Map([...own.values()].map((e) => [e.payload?.id, e]));
  const rows = [];
  const used = new Set();
  for (const r of records) {
    const row = fromRecord(r);
    const mine = own.get(row.op_id) || ownByRecord.get(r.id);
    if (mine) used.add(mine.op_id);
    if (mine && OWN_OPEN.has(mine.state)) {
      rows.push({ ...mine, at: ownTime(mine), mine: true });
    } else {
      rows.push({ ...row, state: mine ? mine.state : "server", mine: Boolean(mine) });
    }
  }
  const cutoff = now - store.CHECK_RETENTION_MS;
  for (const e of own.values()) {
    if (used.has(e.op_id)) continue;
    const at = ownTime(e);
    // A settled check past the window goes as the server's copy does; pending ones never hide.
    if (pulled && !OWN_OPEN.has(e.state) && e.type === "check.record" && at < cutoff) continue;
    rows.push({ ...e, at, mine: true });
  }
  return rows.sort((a, b) => b.at - a.at).slice(0, limit);
}

function statusBadge(row) {
  if (row.mine && row.state !== "server" && row.state !== "applied" && row.state !== "duplicate") return badgeOf(row);
  if (row.status) return h("span", { class: `badge ${STATUS_BADGE[row.status] ?? "badge-info"} finding-status`, "data-status": row.status }, hw().statuses[row.status] || row.status);
  return row.mine ? badgeOf(row) : null;
}

function entryItem(e, onChange) {
  const n = (e.payload.photos || []).length;
  const who = e.mine ? ht("byThisPhone") : e.by ? ht("byName", { name: e.by }) : "";
  const dept = e.department ? hw().departments[e.department] || e.department : "";
  const due = e.due_at ? ht("dueOn", { date: fmtTime(Date.parse(e.due_at)) }) : "";
  // A check not scanned names why (the reason picked on the phone).
  const why = e.payload.manual_reason ? pairName("manualReasons", e.payload.manual_reason) : "";
  const meta = [who, why, dept, due, n ? pt("photosN", { n }) : ""].filter(Boolean).join(" · ");
  const kind = e.type === "finding.create" ? "finding" : "check";
  return h(
    "li",
    {
      class: `phone-entry is-${e.state} entry-${kind}${e.mine ? " is-mine" : ""}`,
      "data-op": e.op_id,
      "data-record": e.payload.id || null,
      "data-state": e.state,
      "data-kind": kind,
    },
    h(
      "div",
      { class: "phone-entry-head" },
      h("time", { datetime: e.occurred_at || new Date(e.at).toISOString() }, fmtTime(e.at)),
      h("span", { class: "phone-entry-title" }, titleOf(e)),
      statusBadge(e),
    ),
    e.payload.note ? h("p", { class: "phone-entry-note" }, e.payload.note) : null,
    meta ? h("p", { class: "muted small phone-entry-meta" }, meta) : null,
    e.mine && e.state === "pending" ? takeBackControl(e, onChange) : null,
  );
}

/** This item's entries, newest first: with `pulled`, everyone's recent ones from the store. */
export async function historyList(code, { itemKey = null, pulled = false, onChange = null } = {}) {
  const entries = await historyEntries(code, itemKey, { pulled });
  if (!entries.length) return h("p", { class: "empty" }, pulled ? ht("historyEmpty") : pt("historyEmpty"));
  return h("ol", { class: "history-list phone-history-list" }, entries.map((e) => entryItem(e, onChange)));
}

/**
 * The item's history section. Online (on the server's page, which lists everyone's) it holds
 * this phone's entries; offline (`pulled`) the item's recent history from the store too.
 * It redraws after each sync: own entries settle, findings move on.
 */
export function historySection(code, { itemKey = null, pulled = false } = {}) {
  const title = pulled ? ht("title") : pt("onThisPhone");
  const section = h(
    "section",
    { class: `card phone-history${pulled ? " item-recent" : ""}`, id: "phone-history", "aria-labelledby": "phone-history-title" },
    h("h2", { id: "phone-history-title" }, title),
  );
  const note = pulled ? h("p", { class: "muted small phone-history-note" }, ht("note")) : null;
  const body = h("div", {});
  if (note) section.append(note);
  section.append(body);
  let queued = null;
  const refresh = async () => {
    body.replaceChildren(await historyList(code, { itemKey, pulled, onChange: () => refresh() }));
    section.dataset.drawn = String(Number(section.dataset.drawn || 0) + 1);
  };
  section.drawn = refresh().catch(() => {});
  section.refresh = refresh;
  let shown = false;
  const stop = onStatus((message) => {
    if (!section.isConnected) {
      if (shown) stop(); // the page moved on: listen no more
      return;
    }
    shown = true;
    if (message.type !== "status" && message.type !== "pulled") return;
    clearTimeout(queued);
    queued = setTimeout(() => {
      // A take-back question waiting for its answer is not swept away by a redraw.
      if (section.querySelector("[data-take-back-confirm]")) return;
      refresh().catch(() => {});
    }, 50);
  });
  return section;
}

// ---------------------------------------------------------------- on the server's item page

/** Add the recorder and this phone's entries to the server-rendered /q/<code> page. */
export function mountOnline(article, code) {
  const title = article.querySelector(".item-head .page-title");
  const kind = (article.className.match(/item-(unit|key|sign)/) || [])[1] || "unit";
  const item = { code, label: title ? title.textContent.trim() : code, type: kind };
  const history = historySection(code);
  let notices = null;
  const rec = recorder(item, (entry) => {
    history.refresh();
    notices?.offer(entry);
  });
  const facts = article.querySelector(".item-facts");
  (facts || article.querySelector(".item-head")).after(rec, history);
  // A unit under renovation: its notices from the phone's store, as offline (renovation.js).
  store
    .itemByCode(code)
    .then((held) => (held ? noticeSection(held) : null))
    .then((section) => {
      if (section) {
        notices = section;
        history.before(section);
      }
    })
    .catch(() => {});
  return { refresh: history.refresh };
}

// ---------------------------------------------------------------- offline, in the shell

function dl(rows) {
  return h(
    "dl",
    { class: "item-dl" },
    rows.filter(([, v]) => v !== null && v !== undefined && v !== "").flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

async function facts(item) {
  const d = item.data || {};
  if (item.type === "unit") {
    const building = d.building_id ? await store.objectOf("building", d.building_id) : null;
    const badge = { occupied: "badge-ok", vacant: "badge-info", renovating: "badge-warn" }[d.status] || "badge-info";
    return dl([
      [pt("status"), h("span", { class: `badge ${badge}` }, term("unit_status", d.status))],
      [pt("building"), building?.name],
      [pt("floor"), d.floor != null ? floorName(d.floor) : null],
      [pt("room"), d.room != null ? `${d.room}室` : null],
    ]);
  }
  if (item.type === "key") {
    const badge = { in: "badge-ok", out: "badge-warn", issued: "badge-info", disputed: "badge-danger" }[d.status] || "badge-info";
    const type = d.holder ? phone().holderTypes[d.holder.type] || d.holder.type : "";
    const holder = d.holder ? (type ? aside(d.holder.name, type) : d.holder.name) : "—";
    return dl([
      [pt("status"), h("span", { class: `badge ${badge}` }, term("key_status", d.status))],
      [pt("holder"), holder],
    ]);
  }
  return dl([
    [pt("status"), term("sign_category", d.category)],
    [pt("location"), d.location],
  ]);
}

/** A label since replaced by a new one: said as the server's item page says it (items/item.html). */
function replacedNotice(label) {
  const at = Date.parse(label.retired_at || "");
  const when = Number.isNaN(at) ? "" : new Date(at).toLocaleDateString(document.documentElement.lang || "zh-Hant-TW");
  const short = label.short_code ? `${label.short_code.slice(0, 4)}-${label.short_code.slice(4)}` : "";
  return h(
    "div",
    { class: "flash item-replaced", role: "status", "data-replaced": label.code || label.short_code },
    h("strong", {}, pt("labelReplacedTitle")),
    " ",
    pt(when ? "labelReplacedOn" : "labelReplaced", { when, code: short }),
  );
}

/** Render an item from the store into the shell; false when the phone does not know it. */
/** Why the item is shown from the store: the network is gone, or the server was slow (the
 * worker's grace) — and once the server answers again, that the page is still the phone's,
 * with a link to the server's. It never contradicts a header that says 在線. */
function offlineNotice() {
  const notice = h("p", { class: "flash item-offline", role: "status" }, pt(navigator.onLine ? "slowItem" : "offlineItem"));
  const redraw = () => {
    if (!notice.isConnected) return;
    if (serverState() === "up") notice.replaceChildren(pt("backItem"), " ", h("a", { href: location.href }, pt("reloadItem")));
    else if (serverState() === "down") notice.textContent = pt("offlineItem");
  };
  onStatus((m) => m.type === "reach" && redraw());
  window.addEventListener("offline", redraw);
  return notice;
}

export async function showOffline(container, code) {
  let openedAt = 0;
  try {
    openedAt = Number(sessionStorage.getItem("rounds.openedAt") || 0);
  } catch {
    // no sessionStorage: nothing to time
  }
  const item = await store.itemByCode(code);
  if (!item) return false;
  const estate = item.data.estate_id ? await store.objectOf("estate", item.data.estate_id) : null;
  const short = item.short_code ? `${item.short_code.slice(0, 4)}-${item.short_code.slice(4)}` : "";
  const history = historySection(item.code, { itemKey: `${item.type}:${item.id}`, pulled: true });
  if (openedAt) {
    // For the bench: from the decoded code to the item's history drawn (it draws alongside).
    history.drawn.then(() => {
      document.documentElement.dataset.historyShownMs = String(Date.now() - openedAt);
    });
  }
  const notices = await noticeSection(item).catch(() => null);
  // replaceChildren writes a null as the text "null": the sections a unit may lack are dropped.
  const sections = [
    offlineNotice(),
    ...(item.retired ? [replacedNotice(item.retired)] : []),
    h(
      "header",
      { class: "item-head" },
      h("p", { class: "item-kind" }, h("span", { class: "badge badge-info" }, term("item_kind", item.type)), " ", h("span", { class: "muted" }, estate?.name || "")),
      h("h1", { class: "page-title", id: "item-title" }, item.label),
      short ? h("p", { class: "item-code muted small" }, `${pt("label")} `, h("code", {}, short)) : null,
    ),
    h("section", { class: "card item-facts" }, await facts(item)),
    await permitSection(item).catch(() => null),
    recorder(item, (entry) => {
      history.refresh();
      notices?.offer(entry);
    }),
    notices,
    history,
    h("a", { class: "btn btn-block btn-tall", href: phone().scanUrl }, pt("scanNext")),
  ];
  container.replaceChildren(...sections.filter(Boolean));
  document.title = `${item.label} · ${document.title.split(" · ").pop()}`;
  return true;
}
