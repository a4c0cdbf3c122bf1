// The key screens on the phone (/app/keys), all from the phone's store, with or without a
// network: lend and return by scanning key tags, owner keys issued at move-in with the
// owner's drawn signature, and the front desk's stocktake of the cabinet. Every entry goes to
// the outbox first (key.lend / key.return / key.issue); the sync engine sends it.
import { phone } from "../../phone/config.js";
import { h, icon } from "../../phone/dom.js";
import { aside, fmtTime, pt, term } from "../../phone/i18n.js";
import { overLimit, tooLong, trim } from "../../phone/text.js";
import { closeScanner, manualEntry, openScanner } from "./scan.js";
import { signaturePad } from "./sign.js";
import { allKeys, compare, estates, keepStocktake, keptStocktakes, keyEntries, keysConfig, kt, recorder, saveKeyOps } from "./state.js";
import { localInput, nowWithOffset } from "../../phone/time.js";
import { saveOnce } from "../../_save.js";
import { takeBackControl } from "../../_takeback.js";
import * as store from "../../store.js";
import { onStatus, serverAway } from "../../sync.js";

const MODES = ["home", "lend", "return", "issue", "stocktake"];
const SHOWN = 12; // longer difference lists fold the rest away
const BADGE = { in: "badge-ok", out: "badge-warn", issued: "badge-info", disputed: "badge-danger" };

const state = {
  mode: "home",
  keys: new Map(),
  baskets: { lend: [], return: [], issue: [] },
  stock: { estate: null, scanned: [], unknown: [], result: null },
  view: null, // the mode's live parts: {refresh()}
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- small parts

function statusBadge(key) {
  return h("span", { class: `badge ${BADGE[key.status] || "badge-info"}`, "data-status": key.status }, term("key_status", key.status));
}

function holderText(holder) {
  if (!holder) return "";
  const type = phone().holderTypes[holder.type] || holder.type || "";
  return type ? aside(holder.name, type) : holder.name;
}

function dueText(iso) {
  if (!iso) return "";
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "" : kt("due", { time: fmtTime(t) });
}

function entryTitle(entry) {
  const p = entry.payload;
  if (entry.type === "key.lend") return kt("lendTo", { name: p.borrower_name });
  if (entry.type === "key.return") return kt("returned");
  if (entry.type === "key.issue") return kt("issuedTo", { name: p.owner_name });
  return entry.type;
}

function entryBadges(entry) {
  if (entry.state === "pending") return [h("span", { class: "badge badge-warn" }, kt("pending"))];
  if (entry.state === "rejected") return [h("span", { class: "badge badge-danger" }, kt("refused"))];
  if (entry.state === "withdrawn") return [h("span", { class: "badge" }, pt("takenBackBadge"))];
  const out = [];
  const flags = entry.result?.data?.flags || [];
  if (entry.result?.status === "conflict" || entry.state === "conflict") out.push(h("span", { class: "badge badge-danger" }, kt("conflict")));
  if (flags.includes("unapproved")) out.push(h("span", { class: "badge badge-warn" }, kt("unapproved")));
  if (!out.length) out.push(h("span", { class: "badge badge-ok" }, kt("synced")));
  return out;
}

function entryItem(entry) {
  const due = entry.type === "key.lend" ? dueText(entry.payload.due_back) : "";
  return h(
    "li",
    { class: `keys-entry is-${entry.state}`, "data-op": entry.op_id, "data-code": entry.code, "data-type": entry.type, "data-state": entry.state },
    h("div", { class: "keys-entry-main" }, h("strong", {}, entry.item?.label || entry.code), h("span", {}, entryTitle(entry))),
    h("div", { class: "keys-entry-meta" }, h("time", { datetime: entry.occurred_at }, fmtTime(entry.created_at)), due ? h("span", { class: "muted" }, due) : null, ...entryBadges(entry)),
    entry.state === "pending" ? takeBackControl(entry, () => show("home")) : null,
  );
}

function scanButton(text, onClick) {
  return h("button", { type: "button", class: "btn btn-primary btn-block btn-huge", "data-keys-scan": true, onclick: onClick }, icon("scan", 28), text);
}

function said() {
  return h("p", { class: "keys-said", role: "status", "aria-live": "polite", hidden: true });
}

function say(node, answer) {
  node.textContent = answer.text;
  node.dataset.tone = answer.ok ? "ok" : "warn";
  node.hidden = !answer.text;
}

function errorLine() {
  return h("p", { class: "field-error", role: "alert", hidden: true });
}

function fail(node, text) {
  node.textContent = text;
  node.hidden = false;
  node.scrollIntoView({ block: "center", behavior: "smooth" });
}

async function refreshKeys() {
  state.keys = await allKeys();
  return state.keys;
}

// ---------------------------------------------------------------- baskets (lend, return, issue)

/** What to tell about a key in a basket: its state, and a warning when the action does not fit. */
function warningsFor(mode, key) {
  const out = [];
  if (mode === "lend" && key.key_class === "equipment_room") out.push(["warn keys-approval", kt("needsApproval")]);
  if (mode === "lend" || mode === "issue") {
    if (key.status === "out") out.push(["danger", kt("alreadyOut", { holder: holderText(key.holder) })]);
    if (key.status === "issued") out.push(["danger", kt("alreadyIssued")]);
  }
  if (mode === "return" && key.status === "in") out.push(["warn", kt("alreadyIn")]);
  if (key.status === "disputed") out.push(["danger", kt("disputed")]);
  return out;
}

function basketList(mode, onChange) {
  const list = h("ul", { class: "keys-basket", "data-basket": mode });
  const empty = h("p", { class: "keys-basket-empty muted" }, kt("basketEmpty"));
  const title = h("h2", { "data-basket-count": true });
  const card = h("section", { class: "card keys-basket-card" }, title, empty, list);
  const draw = () => {
    const codes = state.baskets[mode];
    title.textContent = kt("keysN", { n: codes.length });
    empty.hidden = codes.length > 0;
    list.replaceChildren(
      ...codes.map((code) => {
        const key = state.keys.get(code);
        if (!key) return null;
        const notes = warningsFor(mode, key);
        return h(
          "li",
          { class: "keys-basket-item", "data-code": code, "data-class": key.key_class },
          h(
            "div",
            { class: "keys-basket-main" },
            h("strong", { class: "keys-basket-label" }, key.label),
            h("span", { class: "keys-basket-state" }, statusBadge(key), key.holder && key.status !== "in" ? ` ${holderText(key.holder)}` : "", key.pending.length ? h("span", { class: "badge badge-warn" }, kt("pending")) : null),
            notes.map(([tone, text]) => h("p", { class: `keys-note keys-note-${tone}` }, text)),
          ),
          h(
            "button",
            {
              type: "button",
              class: "keys-remove",
              "aria-label": `${kt("remove")} ${key.label}`,
              onclick: () => {
                state.baskets[mode] = state.baskets[mode].filter((c) => c !== code);
                draw();
                onChange();
              },
            },
            "×",
          ),
        );
      }).filter(Boolean),
    );
    onChange();
  };
  return { element: card, draw };
}

/** Add a read key to a mode's basket; the answer says what happened. */
function addTo(mode, key, allow) {
  const refusal = allow ? allow(key) : null;
  if (refusal) return { ok: false, text: refusal };
  const basket = state.baskets[mode];
  if (basket.includes(key.code)) return { ok: true, again: true, text: kt("already", { label: key.label }) };
  state.keys.set(key.code, key);
  basket.push(key.code);
  return { ok: true, text: kt("added", { label: key.label }) };
}

function scanPart(mode, { title, allow, onAdded }) {
  const note = said();
  const onKey = (key) => {
    const answer = addTo(mode, key, allow);
    onAdded();
    return answer;
  };
  const button = scanButton(title, () =>
    openScanner({
      title,
      onKey,
      count: () => state.baskets[mode].length,
      onDone: () => onAdded(),
    }),
  );
  const manual = manualEntry(onKey, (answer) => {
    say(note, answer);
    onAdded();
  });
  return h("div", { class: "keys-scan-part" }, button, manual, note);
}

function modeHead(mode, lead) {
  return h("header", { class: "keys-mode-head" }, h("h1", { class: "page-title" }, keysConfig().modes[mode] || mode), lead ? h("p", { class: "muted keys-lead" }, lead) : null);
}

function savedLine() {
  return h("p", { class: "record-saved keys-saved", role: "status", hidden: true });
}

// The keys in a mode's basket, the form's messages cleared; null (and the error shown) if empty.
function basketKeys(mode, error, saved) {
  error.hidden = true;
  saved.hidden = true;
  const keys = state.baskets[mode].map((c) => state.keys.get(c)).filter(Boolean);
  if (keys.length) return keys;
  fail(error, kt("needKeys"));
  return null;
}

// After the ops are saved: empty the basket, say what was saved, redraw from the store.
async function afterSave(mode, saved, message, basket) {
  state.baskets[mode] = [];
  saved.textContent = message;
  saved.hidden = false;
  await refreshKeys();
  basket.draw();
  // The message sits under the form, where the bottom tabs hid it from the thumb that saved.
  saved.scrollIntoView({ block: "center" });
  bumpSaved();
}

/** Run a save into the outbox; false (and said, the form kept) if the phone could not keep it. */
async function kept(error, save) {
  try {
    await save();
    return true;
  } catch {
    fail(error, pt("storeFailed"));
    return false;
  }
}

async function needLogin() {
  return !(await recorder());
}

function loginNotice() {
  return h(
    "div",
    { class: "card keys-login" },
    h("p", {}, kt("needLogin")),
    h("a", { class: "btn btn-primary btn-block btn-tall", href: `${phone().loginUrl}?next=${encodeURIComponent(keysConfig().homeUrl)}` }, kt("logIn")),
  );
}

// ---------------------------------------------------------------- lend


function quickDue(input) {
  const at = (fn) => () => {
    const d = new Date();
    fn(d);
    d.setSeconds(0, 0);
    input.value = localInput(d);
  };
  const chips = [
    [kt("in2h"), at((d) => d.setMinutes(Math.ceil((d.getMinutes() + 120) / 15) * 15))],
    // The next 18:00 (tomorrow's, once today's has passed).
    ["18:00", at((d) => { if (d.getHours() >= 18) d.setDate(d.getDate() + 1); d.setHours(18, 0); })],
    [kt("tomorrow"), at((d) => { d.setDate(d.getDate() + 1); d.setHours(10, 0); })],
  ];
  return h("div", { class: "keys-quick" }, chips.map(([text, fn]) => h("button", { type: "button", class: "btn keys-chip", onclick: fn }, text)));
}

/** The basket's button says how many keys it records, or, empty, what to do first (not "Lend 0
 * keys" after a save has emptied it). */
function countOn(submit, mode) {
  const n = state.baskets[mode].length;
  submit.textContent = n ? kt(`${mode}N`, { n }) : kt(`${mode}None`);
}

function lendView() {
  const error = errorLine();
  const saved = savedLine();
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block btn-tall keys-submit", "data-keys-submit": "lend" });
  const basket = basketList("lend", () => {
    countOn(submit, "lend");
  });
  const types = Object.entries(phone().holderTypes);
  const due = h("input", { type: "datetime-local", name: "due_back", id: "keys-due" });
  const form = h(
    "form",
    { class: "keys-form card", novalidate: true, "data-keys-form": "lend" },
    h("div", { class: "field" }, h("label", { for: "keys-borrower" }, kt("borrower")), h("input", { type: "text", id: "keys-borrower", name: "borrower_name", maxlength: "120", autocomplete: "off", enterkeyhint: "next" })),
    h(
      "fieldset",
      { class: "record-part" },
      h("legend", {}, kt("borrowerType")),
      h(
        "div",
        { class: "record-choices keys-types" },
        types.map(([value, label]) =>
          h("label", { class: `record-choice choice-${value}` }, h("input", { type: "radio", name: "borrower_type", value }), h("span", {}, label)),
        ),
      ),
    ),
    h("label", { class: "keys-check" }, h("input", { type: "checkbox", name: "id_checked", value: "1" }), h("span", {}, kt("idChecked"))),
    h("div", { class: "field" }, h("label", { for: "keys-purpose" }, kt("purpose")), h("input", { type: "text", id: "keys-purpose", name: "purpose", maxlength: "200", placeholder: kt("purposePlaceholder"), autocomplete: "off" })),
    h("div", { class: "field" }, h("label", { for: "keys-due" }, kt("dueBack")), due, quickDue(due)),
    error,
    submit,
  );
  // One tap, one lend per key (_save.js): a double tap never lends twice.
  form.addEventListener("submit", saveOnce(form, async (draft) => {
    const data = new FormData(form);
    const name = trim(data.get("borrower_name"));
    const type = data.get("borrower_type");
    const purpose = trim(data.get("purpose"));
    const keys = basketKeys("lend", error, saved);
    if (!keys) return;
    if (!name || !type) return fail(error, kt("needBorrower"));
    // The server's limits (sync/schemas.py key.lend): said here, nothing is cut to fit.
    const over = overLimit([[name, 120, kt("borrower")], [purpose, 200, kt("purpose")]]);
    if (over) return fail(error, pt("tooLong", over));
    const payload = {
      borrower_name: name,
      borrower_type: type,
      purpose,
      id_checked: data.get("id_checked") === "1",
    };
    if (due.value) payload.due_back = nowWithOffset(new Date(due.value));
    if (!(await kept(error, () => saveKeyOps(keys.map((key) => ({ type: "key.lend", key, payload })), [], draft)))) return;
    form.reset();
    await afterSave("lend", saved, kt("savedLend", { n: keys.length }), basket);
  }));
  const part = scanPart("lend", { title: kt("scanTags"), onAdded: () => basket.draw() });
  basket.draw();
  return { nodes: [modeHead("lend"), part, basket.element, form, saved], refresh: () => basket.draw() };
}

// ---------------------------------------------------------------- return

function returnView() {
  const error = errorLine();
  const saved = savedLine();
  const submit = h("button", { type: "button", class: "btn btn-primary btn-block btn-tall keys-submit", "data-keys-submit": "return" });
  const basket = basketList("return", () => {
    countOn(submit, "return");
  });
  const save = saveOnce(submit, async (draft) => {
    const keys = basketKeys("return", error, saved);
    if (!keys) return;
    if (!(await kept(error, () => saveKeyOps(keys.map((key) => ({ type: "key.return", key, payload: {} })), [], draft)))) return;
    await afterSave("return", saved, kt("savedReturn", { n: keys.length }), basket);
  }, { buttons: [submit] });
  submit.addEventListener("click", save);
  const part = scanPart("return", { title: kt("scanTags"), onAdded: () => basket.draw() });
  basket.draw();
  return { nodes: [modeHead("return"), part, basket.element, error, submit, saved], refresh: () => basket.draw() };
}

// ---------------------------------------------------------------- issue (owner keys, move-in)

function issueView() {
  const error = errorLine();
  const saved = savedLine();
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block btn-tall keys-submit", "data-keys-submit": "issue" });
  const basket = basketList("issue", () => {
    countOn(submit, "issue");
  });
  const pad = signaturePad({ label: kt("signature"), hint: kt("signHere"), clearText: kt("clear") });
  const last4 = h("input", { type: "text", id: "keys-id-last4", name: "id_last4", maxlength: "4", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", class: "keys-last4" });
  const form = h(
    "form",
    { class: "keys-form card", novalidate: true, "data-keys-form": "issue" },
    h("div", { class: "field" }, h("label", { for: "keys-owner" }, kt("ownerName")), h("input", { type: "text", id: "keys-owner", name: "owner_name", maxlength: "120", autocomplete: "off" })),
    // The owner's ID as checked: its type and only the last 4 characters of its number.
    h(
      "fieldset",
      { class: "record-part keys-owner-id" },
      h("legend", {}, kt("idDocument")),
      h(
        "div",
        { class: "field" },
        h("label", { for: "keys-id-type" }, kt("idType")),
        h("select", { id: "keys-id-type", name: "id_type" }, h("option", { value: "" }, kt("choose")), keysConfig().idTypes.map(([value, name]) => h("option", { value }, name))),
      ),
      h("div", { class: "field" }, h("label", { for: "keys-id-last4" }, kt("idLast4")), last4, h("p", { class: "muted small" }, kt("idHint"))),
    ),
    pad.element,
    error,
    submit,
  );
  form.addEventListener("submit", saveOnce(form, async (draft) => {
    const data = new FormData(form);
    const owner = trim(data.get("owner_name"));
    const idType = String(data.get("id_type") || "");
    // As the server reads it: full-width folded, upper case, spaces, brackets and hyphens dropped.
    const idLast4 = String(data.get("id_last4") || "").normalize("NFKC").toUpperCase().replace(/[\s()（）-]/g, "");
    const keys = basketKeys("issue", error, saved);
    if (!keys) return;
    if (!owner) return fail(error, kt("needOwner"));
    if (tooLong(owner, 120)) return fail(error, pt("tooLong", { field: kt("ownerName"), n: 120 }));
    if (!idType) return fail(error, kt("needIdType"));
    if (idLast4.length > 4) {
      last4.value = ""; // a whole number is not kept, not even in the form
      return fail(error, kt("onlyLast4"));
    }
    if (!/^[0-9A-Z]{4}$/.test(idLast4)) return fail(error, kt("needLast4"));
    if (pad.isEmpty()) return fail(error, kt("needSignature"));
    const photo = await pad.toPhoto();
    const payload = { owner_name: owner, signature: photo.sha256, id_type: idType, id_last4: idLast4 };
    const ops = keys.map((key) => ({ type: "key.issue", key, payload }));
    if (!(await kept(error, () => saveKeyOps(ops, [photo], draft)))) return;
    form.reset();
    pad.reset();
    await afterSave("issue", saved, kt("savedIssue", { n: keys.length }), basket);
  }));
  const allow = (key) => (key.key_class === "owner" ? null : kt("notOwnerKey", { label: key.label }));
  const part = scanPart("issue", { title: kt("scanOwnerKeys"), allow, onAdded: () => basket.draw() });
  basket.draw();
  return { nodes: [modeHead("issue"), part, basket.element, form, saved], refresh: () => basket.draw(), mounted: () => pad.ready() };
}

// ---------------------------------------------------------------- stocktake

async function stocktakeView() {
  const s = state.stock;
  const all = [...state.keys.values()];
  const estateList = (await estates()).filter((e) => all.some((k) => k.estate_id === e.id));
  if (s.estate === null || !estateList.some((e) => e.id === s.estate)) s.estate = estateList[0]?.id ?? null;
  const inEstate = () => [...state.keys.values()].filter((k) => k.estate_id === s.estate);
  const progress = h("p", { class: "keys-progress", "data-stock-progress": true });
  const scannedList = h("ul", { class: "keys-chips", "data-stock-scanned": true });
  const results = h("section", { class: "card keys-results", "data-stock-result": true, hidden: true });
  const past = h("section", { class: "keys-past" });

  const draw = () => {
    const keys = inEstate();
    const expected = keys.filter((k) => k.status === "in").length;
    progress.textContent = kt("scannedN", { n: s.scanned.length, m: expected });
    progress.dataset.scanned = String(s.scanned.length);
    // The newest reads first; a whole cabinet folds into a count.
    const newest = s.scanned.slice(-SHOWN).reverse();
    const chips = newest.map((code) => h("li", { class: `keys-chip-item is-${state.keys.get(code)?.status || "in"}` }, state.keys.get(code)?.label || code));
    if (s.scanned.length > SHOWN) chips.push(h("li", { class: "keys-chip-item keys-chip-more" }, kt("andMore", { n: s.scanned.length - SHOWN })));
    scannedList.replaceChildren(...chips);
    scannedList.hidden = !s.scanned.length;
  };

  const onKey = (key) => {
    if (key.estate_id !== s.estate) {
      if (!s.unknown.includes(key.code)) s.unknown.push(key.code);
      return { ok: false, text: kt("otherEstate", { label: key.label }) };
    }
    if (s.scanned.includes(key.code)) return { ok: true, again: true, text: kt("already", { label: key.label }) };
    s.scanned.push(key.code);
    s.result = null;
    results.hidden = true;
    draw();
    return { ok: true, text: kt("added", { label: key.label }) };
  };
  const onOther = (found) => {
    if (!s.unknown.includes(found.code)) s.unknown.push(found.code);
  };
  const note = said();
  const scan = scanButton(kt("scanCabinet"), () =>
    openScanner({ title: kt("scanCabinet"), onKey, onOther, count: () => s.scanned.length, onDone: draw }),
  );
  const manual = manualEntry(onKey, (answer) => say(note, answer), onOther);

  const error = errorLine();
  const showResult = async (draft) => {
    const keys = inEstate();
    const { missing, unexpected } = compare(keys, s.scanned);
    const estate = estateList.find((e) => e.id === s.estate);
    error.hidden = true;
    const result = {
      // Compared again after more reads, it is the same stocktake; a failed save, tried again, too.
      id: s.result?.id || draft.id("stocktake"),
      at: Date.now(),
      estate_id: s.estate,
      estate: estate?.name || "",
      by: await recorder(),
      scanned: [...s.scanned],
      missing: missing.map((k) => ({ code: k.code, label: k.label })),
      unexpected: unexpected.map((k) => ({ code: k.code, label: k.label, status: k.status, holder: holderText(k.holder) })),
      unknown: [...s.unknown],
    };
    // A stocktake the phone could not keep is said loudly; the reads stay for another try.
    if (!(await kept(error, () => keepStocktake(result)))) return;
    draft.saved();
    s.result = result;
    drawResult(results, s.result);
    results.hidden = false;
    results.scrollIntoView({ block: "start" });
    drawPast(past);
  };

  const picker =
    estateList.length > 1
      ? h(
          "div",
          { class: "field" },
          h("label", { for: "keys-estate" }, kt("estate")),
          h(
            "select",
            {
              id: "keys-estate",
              onchange: (event) => {
                s.estate = Number(event.target.value);
                s.scanned = [];
                s.unknown = [];
                s.result = null;
                results.hidden = true;
                draw();
              },
            },
            estateList.map((e) => h("option", { value: String(e.id), selected: e.id === s.estate }, e.name)),
          ),
        )
      : null;
  const actions = h(
    "div",
    { class: "keys-stock-actions" },
    (() => {
      // A double tap keeps one stocktake, not two (_save.js).
      const button = h("button", { type: "button", class: "btn btn-primary btn-block btn-tall", "data-stock-compare": true }, kt("compare"));
      button.addEventListener("click", saveOnce(button, showResult, { buttons: [button] }));
      return button;
    })(),
    h(
      "button",
      {
        type: "button",
        class: "btn btn-block",
        onclick: () => {
          s.scanned = [];
          s.unknown = [];
          s.result = null;
          results.hidden = true;
          draw();
        },
      },
      kt("restart"),
    ),
  );
  draw();
  if (s.result) {
    drawResult(results, s.result);
    results.hidden = false;
  }
  drawPast(past);
  return {
    nodes: [modeHead("stocktake"), picker, h("div", { class: "card keys-stock" }, progress, scannedList), h("div", { class: "keys-scan-part" }, scan, manual, note), error, actions, results, past],
    refresh: draw,
  };
}

function handoverHref(result) {
  const codes = [...result.scanned, ...result.unknown].join(",");
  return `${keysConfig().handoverUrl}?estate=${encodeURIComponent(result.estate_id)}&codes=${encodeURIComponent(codes)}`;
}

function drawResult(box, r) {
  const group = (title, rows, tone, attr) =>
    h(
      "div",
      { class: `keys-diff-group keys-diff-${tone}`, [attr]: true },
      h("h3", {}, title, " ", h("span", { class: `badge ${rows.length ? `badge-${tone}` : "badge-ok"}` }, String(rows.length))),
      rows.length ? h("ul", {}, rows.slice(0, SHOWN).map((row) => h("li", {}, row))) : null,
      rows.length > SHOWN
        ? h(
            "details",
            { class: "keys-more" },
            h("summary", {}, kt("andMore", { n: rows.length - SHOWN })),
            h("ul", {}, rows.slice(SHOWN).map((row) => h("li", {}, row))),
          )
        : null,
    );
  // The handover page needs the server: offered while it answers (the header's own status).
  const online = !serverAway();
  const parts = [
    h("h2", {}, kt("differences"), r.estate ? h("span", { class: "muted keys-result-when" }, ` · ${r.estate} · ${fmtTime(r.at)}`) : null),
    !r.missing.length && !r.unexpected.length && !r.unknown.length ? h("p", { class: "keys-note keys-note-ok" }, kt("allThere")) : null,
    group(kt("missing"), r.missing.map((k) => k.label), "danger", "data-missing"),
    group(
      kt("unexpected"),
      r.unexpected.map((k) => `${k.label} · ${term("key_status", k.status)}${k.holder ? ` · ${k.holder}` : ""}`),
      "warn",
      "data-unexpected",
    ),
    r.unknown.length ? group(kt("unknown"), r.unknown, "warn", "data-unknown") : null,
    h("p", { class: "muted small" }, kt("kept")),
    online
      ? h("a", { class: "btn btn-block btn-tall", href: handoverHref(r), "data-handover": true }, kt("signHandover"))
      : h("p", { class: "keys-note keys-note-warn", "data-handover-offline": true }, kt("handoverOffline")),
  ];
  box.replaceChildren(...parts.filter(Boolean));
}

async function drawPast(box) {
  const kept = await keptStocktakes();
  box.replaceChildren(
    ...(kept.length
      ? [
          h("h2", {}, kt("pastStocktakes")),
          h(
            "ul",
            { class: "keys-entries" },
            kept.map((r) =>
              h(
                "li",
                { class: "keys-entry" },
                h("div", { class: "keys-entry-main" }, h("strong", {}, `${fmtTime(r.at)} · ${r.estate}`), h("span", {}, kt("scanStatus", { n: r.scanned.length }))),
                h(
                  "div",
                  { class: "keys-entry-meta" },
                  h("span", { class: `badge ${r.missing.length ? "badge-danger" : "badge-ok"}` }, `${kt("missing")} ${r.missing.length}`),
                  h("span", { class: `badge ${r.unexpected.length ? "badge-warn" : "badge-ok"}` }, `${kt("unexpected")} ${r.unexpected.length}`),
                  !serverAway() ? h("a", { href: handoverHref(r) }, kt("signHandover")) : null,
                ),
              ),
            ),
          ),
        ]
      : []),
  );
}

// ---------------------------------------------------------------- home

// Lending, returning and issuing are the patrol's, the desk's and a supervisor's (the server
// refuses the ops of any other role: sync/keys.py KEY_HANDLERS, sent as keysConfig().handlers);
// engineering and an estate's admin count keys. A phone that does not know its user's role yet
// offers everything: the server decides.
const HANDLED = ["lend", "return", "issue"];
async function handlesKeys() {
  const meta = await store.getMetas(["user"]).catch(() => ({}));
  const role = meta.user?.role;
  return !role || (keysConfig().handlers || []).includes(role);
}

async function homeView() {
  const keys = [...state.keys.values()];
  const { waiting, synced } = await keyEntries();
  const handles = await handlesKeys();
  for (const mode of HANDLED) {
    const tab = document.querySelector(`[data-tab="${mode}"]`);
    if (tab) tab.hidden = !handles;
  }
  const nodes = [modeHead("home")];
  if (await needLogin()) nodes.push(loginNotice());
  if (!handles) nodes.push(h("p", { class: "flash", "data-not-handler": true }, kt("notHandler")));
  if (!keys.length) nodes.push(h("p", { class: "flash", "data-no-keys": true }, kt("noKeys")));
  const count = (status) => keys.filter((k) => k.status === status).length;
  nodes.push(
    h(
      "div",
      { class: "keys-summary", "data-summary": true },
      [
        ["in", kt("inCabinet")],
        ["out", kt("lentOut")],
        ["issued", term("key_status", "issued")],
        ["disputed", kt("disputedN")],
      ].map(([status, label]) => h("div", { class: `keys-sum keys-sum-${status}`, "data-count": status }, h("strong", {}, String(count(status))), h("span", {}, label))),
    ),
    h(
      "div",
      { class: "keys-actions-grid" },
      [...(handles ? HANDLED : []), "stocktake"].map((mode) => h("a", { class: `btn keys-action keys-action-${mode}`, href: `#${mode}` }, keysConfig().modes[mode])),
    ),
  );
  nodes.push(
    h(
      "section",
      { class: "card keys-waiting", "data-waiting": waiting.length },
      h("h2", {}, kt("waiting"), " ", h("span", { class: `badge ${waiting.length ? "badge-warn" : "badge-ok"}` }, String(waiting.length))),
      waiting.length ? h("ul", { class: "keys-entries" }, waiting.map(entryItem)) : h("p", { class: "muted" }, kt("nothingWaiting")),
    ),
  );
  const out = keys.filter((k) => k.status === "out").sort((a, b) => a.label.localeCompare(b.label, "zh-Hant"));
  nodes.push(
    h(
      "section",
      { class: "card keys-out" },
      h("h2", {}, kt("outNow"), " ", h("span", { class: "badge badge-info" }, String(out.length))),
      out.length
        ? h(
            "ul",
            { class: "keys-entries" },
            out.slice(0, 50).map((k) =>
              h(
                "li",
                { class: "keys-entry", "data-code": k.code },
                h("div", { class: "keys-entry-main" }, h("strong", {}, k.label), h("span", {}, holderText(k.holder))),
                h("div", { class: "keys-entry-meta" }, k.due_back ? h("span", { class: "muted" }, dueText(k.due_back)) : null, k.key_class === "equipment_room" ? h("span", { class: "badge badge-info" }, keysConfig().keyClass?.equipment_room || "") : null, k.pending.length ? h("span", { class: "badge badge-warn" }, kt("pending")) : null),
              ),
            ),
          )
        : h("p", { class: "muted" }, kt("noneOut")),
    ),
  );
  if (synced.length) {
    nodes.push(h("section", { class: "card keys-synced" }, h("h2", {}, kt("recent")), h("ul", { class: "keys-entries" }, synced.map(entryItem))));
  }
  return { nodes, refresh: null };
}

// ---------------------------------------------------------------- router

function bumpSaved() {
  const app = $("keys-app");
  app.dataset.saved = String(Number(app.dataset.saved || 0) + 1);
}

const VIEWS = { home: homeView, lend: lendView, return: returnView, issue: issueView, stocktake: stocktakeView };

let drawing = 0;
async function show(mode) {
  const mine = ++drawing;
  closeScanner();
  await refreshKeys();
  if (HANDLED.includes(mode) && !(await handlesKeys())) mode = "home";
  const view = await VIEWS[mode]();
  if (mine !== drawing) return;
  state.mode = mode;
  state.view = view;
  const app = $("keys-app");
  app.dataset.mode = mode;
  $("keys-view").replaceChildren(...view.nodes.filter(Boolean));
  view.mounted?.();
  for (const tab of document.querySelectorAll("[data-tab]")) {
    if (tab.dataset.tab === mode) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  const name = keysConfig().modes[mode];
  document.title = `${name} · ${document.title.split(" · ").pop()}`;
  app.dataset.ready = "1";
}

function modeFromHash() {
  const mode = location.hash.replace(/^#/, "");
  return MODES.includes(mode) ? mode : "home";
}

let statusTimer = null;
export function mount() {
  // The header badge (#shell-network) is status.js's: whether the server answers.
  window.addEventListener("hashchange", () => show(modeFromHash()));
  // After a sync (or another tab's save), redraw what depends on the store.
  onStatus((message) => {
    if (message.type !== "status") return;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(async () => {
      if ($("keys-scanner") && !$("keys-scanner").hidden) return;
      // A take-back question waiting for its answer is not swept away by a redraw.
      if (document.querySelector("[data-take-back-confirm]")) return;
      if (state.mode === "home") return show("home");
      await refreshKeys();
      state.view?.refresh?.();
    }, 150);
  });
  return show(modeFromHash());
}
