// Rounds on the phone (/app/rounds, precached): today's rounds with progress, a round walked
// checkpoint by checkpoint (scan, or pick from the list = "manual"), each checklist prefilled
// from the last visit, saved as check.record ops (and finding.create for failed items) in the
// outbox, and a summary of what is left. Everything comes from the phone's store: no network.
//
// Views by the URL's hash: "" today's rounds · #r/<id> a round · #r/<id>/scan the scanner ·
// #r/<id>/c/<code> a checkpoint's checklist · #r/<id>/done the summary.
import { config, dataBlock, phone } from "./phone/config.js";
import { h, icon } from "./phone/dom.js";
import { floorName, pairName } from "./phone/i18n.js";
import { noteWithReason } from "./phone/reason.js";
import { nowWithOffset } from "./phone/time.js";
import { categoryOf, checklistForm, severityOf } from "./screens/rounds/checklist.js";
import { checklistOf, checkpoints, lastAnswers, loadWorld, noteCheck, noteOp, raisedOf, seenOf } from "./screens/rounds/data.js";
import { countRaised, worstSeverity } from "./screens/rounds/findings.js";
import { reinspectionCard, reinspectionsDue } from "./screens/rounds/reinspections.js";
import { dayOf, hmOf, roundNow, statusIn } from "./screens/rounds/time.js";
import { rs } from "./screens/rounds/ui.js";
import { syncedFully } from "./_unknown.js";
import { normalize, shortCodeValid } from "./codes.js";
import * as store from "./store.js";
import { onStatus, sync } from "./sync.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["rp-home", "rp-round", "scanner", "rp-check", "rp-summary"];
const ACTIVE_KEY = "rounds.active";
const GEO_KEY = "rounds.geo";

let world = null;
let flash = null; // a message for the next view ({text, tone})
let methodFor = null; // {code, method} set when the scanner (or a typed code) opens a checkpoint

// ---------------------------------------------------------------- state kept on the phone

function active() {
  try {
    return JSON.parse(localStorage.getItem(ACTIVE_KEY) || "null");
  } catch {
    return null;
  }
}

function setActive(value) {
  try {
    if (value) localStorage.setItem(ACTIVE_KEY, JSON.stringify(value));
    else localStorage.removeItem(ACTIVE_KEY);
  } catch {
    // private mode: the round still works, it is just not resumed after a restart
  }
}

function geoWanted() {
  try {
    return localStorage.getItem(GEO_KEY) === "1";
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- a round's state now

function tzOf(round) {
  return world.estates.get(Number(round.estate_id))?.timezone || "Asia/Taipei";
}

/** The round, its window now, its checkpoints with their status, and the counts. */
function standing(round, now = Date.now()) {
  const tz = tzOf(round);
  const { current, upcoming } = roundNow(round, tz, now);
  const points = checkpoints(world, round).map((p) => {
    const seen = seenOf(world, p.code);
    const status = current ? statusIn(current, seen, now) : "pending";
    // This window's visits: inside it, or after its close until the next opens (late).
    const until = current ? Math.max(current.end, current.next ?? current.end) : 0;
    const inside = current ? seen.filter((s) => current.start <= s.at && s.at < until) : [];
    const last = inside[inside.length - 1] || null;
    return { ...p, status, last, inside, issue: inside.some((s) => s.result === "issue") };
  });
  const count = (s) => points.filter((p) => p.status === s).length;
  const visited = count("done") + count("no_access") + count("late");
  return { round, tz, window: current, upcoming, points, visited, total: points.length, count, open: current && now < current.end };
}

function windowText(st) {
  const { window: w, upcoming, tz } = st;
  if (!w) return upcoming ? rs("opensAt", { time: hmOf(upcoming.start, tz) }) : rs("noWindow");
  const multiDay = w.end - w.start >= 2 * 86_400_000;
  // A window of another day (yesterday afternoon's, seen after midnight) says which day it is.
  const otherDay = dayOf(w.start, tz) !== dayOf(Date.now(), tz);
  const hours = `${hmOf(w.start, tz)}–${hmOf(w.end, tz)}`;
  const range = multiDay ? rs("windowDays", { from: dayText(w.start, tz), to: dayText(w.end - 1, tz) }) : otherDay ? `${dayText(w.start, tz)} ${hours}` : hours;
  if (Date.now() < w.end) return multiDay ? range : `${range} · ${rs("openUntil", { time: hmOf(w.end, tz) })}`;
  return `${range} · ${rs("closedLate", { time: hmOf(w.next, tz) })}`;
}

function dayText(ms, tz) {
  return new Intl.DateTimeFormat(document.documentElement.lang || "zh-TW", { timeZone: tz, month: "numeric", day: "numeric", weekday: "short" }).format(new Date(ms));
}

/** Where a checkpoint is: building, entrance (units), floor — 「1棟 · 2單元 · 3樓」. */
function whereOf(p) {
  // A basement reads B1 as webapp.vocab.floor_name writes it (never "Floor -1" / "-1樓").
  const floor = p.floor !== null && p.floor !== undefined ? floorName(p.floor, (n) => rs("floorN", { n })) : "";
  const entrance = p.type === "unit" && p.entrance !== null && p.entrance !== undefined && p.entrance !== "" ? rs("entranceN", { n: p.entrance }) : "";
  return [p.building, entrance, floor].filter(Boolean).join(" · ");
}

/** The next checkpoint to visit: the first still to do after the last one visited (in order). */
function suggestNext(st, after = null) {
  const todo = (p) => p.status === "pending" || p.status === "missed";
  const points = st.points;
  let from = 0;
  const lastCode = after || lastVisited(st);
  if (lastCode) from = points.findIndex((p) => p.code === lastCode) + 1;
  for (let i = 0; i < points.length; i++) {
    const p = points[(from + i) % points.length];
    if (todo(p)) return p;
  }
  return null;
}

function lastVisited(st) {
  let best = null;
  for (const p of st.points) if (p.last && (!best || p.last.at > best.last.at)) best = p;
  return best ? best.code : null;
}

// ---------------------------------------------------------------- views

function show(id) {
  for (const v of VIEWS) {
    const node = $(v);
    if (node) node.hidden = v !== id;
  }
  document.body.dataset.view = id;
  window.scrollTo(0, 0);
}

/** Replace a node's children, leaving out the absent ones (null would become "null"). */
function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

function flashNode() {
  if (!flash || Date.now() > flash.until || (flash.view && flash.view !== document.body.dataset.view)) {
    flash = null;
    return null;
  }
  const action = flash.action ? h("a", { class: "btn btn-primary btn-block rp-flash-action", href: flash.action.href, ...flash.action.attrs }, flash.action.label) : null;
  return h("div", { class: `flash rp-flash rp-flash-${flash.tone || "ok"}`, role: "status" }, h("p", {}, flash.text), whereSaved(flash.ops), action);
}

/** Where what was just saved is (the view is redrawn after every sync): still only on this
 * phone, or on the server; nothing once an entry was refused or taken back (said elsewhere). */
function whereSaved(ops) {
  if (!ops) return null;
  const entries = ops.map((id) => world.ops.find((e) => e.op_id === id));
  if (entries.some((e) => e?.state === "pending")) return h("p", { class: "rp-flash-where" }, rs("savedOnPhone"));
  if (entries.every(Boolean)) return h("p", { class: "rp-flash-where" }, rs("savedSynced"));
  return null;
}

/** A message for the next view; it stays through redraws (a sync) for a few seconds — one
 * that offers a next step (a notice to issue) until the next message, or ten minutes; one
 * about a save (`ops`) says where it is, on the phone or synced, for long enough to see both. */
function say(text, tone = "ok", view = null, action = null, ops = null) {
  flash = { text, tone, view, action, ops, until: Date.now() + (action ? 600_000 : ops ? 20_000 : 8000) };
}

/** A renovation check that broke a rule a rectification notice names (the checklist's items
 * named as the rules: load_bearing, facade, …) offers the notice on the unit's page, for the
 * first such item's finding, its rules ticked (screens/item/renovation.js reads the hash). */
function noticeOffer(round, p, failures, findings) {
  if (round.kind !== "renovation") return null;
  const rules = new Set(dataBlock("rounds-strings").noticeRules || []);
  const broken = failures.map(({ item: q }) => q.key).filter((key) => rules.has(key));
  if (!broken.length) return null;
  const finding = findings[failures.findIndex(({ item: q }) => rules.has(q.key))];
  const href = `/q/${encodeURIComponent(p.code)}#notice:${encodeURIComponent(finding.payload.id)}:${broken.join(",")}`;
  return { href, label: rs("issueNoticeFor", { label: p.label }), attrs: { "data-notice-offer": p.code } };
}

function progressBar(visited, total) {
  const pct = total ? Math.round((visited / total) * 100) : 0;
  const bar = h("span", { class: "rp-bar-fill" });
  bar.style.width = `${pct}%`; // a CSSOM property, not an inline style attribute: CSP allows it
  const label = `${rs("checkpoints")} ${visited} / ${total} ${rs("visited")}`; // a progressbar needs a name
  return h("span", { class: "rp-bar", role: "progressbar", "aria-label": label, "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(visited) }, bar);
}

async function renderHome() {
  world = await loadWorld();
  show("rp-home");
  const list = $("rp-rounds");
  const empty = $("rp-empty");
  const now = Date.now();
  fill($("rp-flash-home"), flashNode());
  const estates = new Map();
  for (const round of world.rounds) {
    if (!estates.has(round.estate_id)) estates.set(round.estate_id, []);
    estates.get(round.estate_id).push(round);
  }
  empty.hidden = world.rounds.length > 0;
  const first = world.rounds[0];
  $("rp-today").textContent = first ? dayText(now, tzOf(first)) : "";
  const mine = active();
  const cards = [];
  for (const [estateId, rounds] of estates) {
    const estate = world.estates.get(Number(estateId));
    if (estates.size > 1) cards.push(h("li", { class: "rp-estate" }, h("h2", {}, estate?.name || "")));
    for (const round of rounds) {
      const st = standing(round, now);
      const resumed = mine && mine.id === round.id && st.window && mine.start === st.window.start;
      const done = st.total > 0 && st.visited === st.total;
      const state = !st.window ? "upcoming" : done ? "complete" : st.open ? "open" : "closed";
      const href = `#r/${round.id}`;
      cards.push(
        h(
          "li",
          { class: `rp-round-card is-${state}`, "data-round": round.id, "data-kind": round.kind },
          h(
            "a",
            { class: "rp-round-link", href },
            h(
              "span",
              { class: "rp-round-top" },
              h("span", { class: "rp-round-name" }, round.name),
              h("span", { class: "rp-round-count", "data-progress": `${st.visited}/${st.total}` }, h("strong", {}, String(st.visited)), ` / ${st.total}`),
            ),
            h("span", { class: "rp-round-when" }, windowText(st)),
            progressBar(st.visited, st.total),
            h(
              "span",
              { class: "rp-round-foot" },
              h("span", { class: `badge ${{ open: "badge-info", complete: "badge-ok", closed: "badge-warn", upcoming: "" }[state]}` }, rs(`state_${state}`)),
              st.count("no_access") ? h("span", { class: "badge rp-badge-na" }, rs("noAccessN", { n: st.count("no_access") })) : null,
              h("span", { class: "rp-round-go" }, resumed ? rs("continue") : st.window && !done ? rs("start") : rs("view"), " ›"),
            ),
          ),
        ),
      );
    }
  }
  list.replaceChildren(reinspectionCard(await reinspectionsDue(world).catch(() => [])) || "", ...cards);
  const waiting = world.ops.filter((e) => e.state === "pending").length;
  $("rp-sync-note").textContent = waiting ? rs("waitingSync", { n: waiting }) : world.lastSync ? rs("allSynced") : "";
}

function roundById(id) {
  return world.rounds.find((r) => r.id === id) || null;
}

async function renderRound(id) {
  world = await loadWorld();
  const round = roundById(id);
  if (!round) return gone();
  const st = standing(round);
  const view = $("rp-round");
  show("rp-round");
  if (st.window) {
    const mine = active();
    if (!mine || mine.id !== round.id || mine.start !== st.window.start) setActive({ id: round.id, start: st.window.start, started_at: Date.now() });
  }
  const next = suggestNext(st);
  const filter = h("input", { type: "search", class: "rp-filter", placeholder: rs("filter"), "aria-label": rs("filter"), enterkeyhint: "search", autocomplete: "off" });
  const listBox = h("div", { class: "rp-points" });
  const drawList = () => {
    const q = normalize(filter.value || "");
    // The whole short code typed from the label (its check character right): a typed check.
    const typed = q.length >= 4 && shortCodeValid(q) ? q : null;
    const rows = [];
    let group = null;
    for (const p of st.points) {
      if (q && !normalize(`${p.label}${p.short_code || ""}${p.building}`).includes(q)) continue;
      const g = whereOf(p) || rs("elsewhere");
      if (g !== group) {
        group = g;
        rows.push(h("li", { class: "rp-group" }, g));
      }
      rows.push(
        h(
          "li",
          {},
          h(
            "a",
            {
              class: `rp-point is-${p.status}${p.issue ? " has-issue" : ""}`,
              href: `#r/${round.id}/c/${encodeURIComponent(p.code)}`,
              "data-code": p.code,
              "data-status": p.status,
              "data-typed": typed && p.short_code === typed ? "1" : null,
              onclick: typed && p.short_code === typed ? () => (methodFor = { code: p.code, method: "typed" }) : null,
            },
            h("span", { class: "rp-dot", "aria-hidden": "true" }),
            h("span", { class: "rp-point-label" }, p.label),
            h("span", { class: `rp-point-status st-${p.status}` }, p.issue ? rs("issue") : rs(`st_${p.status}`)),
          ),
        ),
      );
    }
    listBox.replaceChildren(rows.length ? h("ul", { class: "rp-point-list" }, rows) : h("p", { class: "empty" }, st.points.length ? rs("noMatch") : rs("noPoints")));
  };
  filter.addEventListener("input", drawList);
  drawList();

  const geo = h("input", { type: "checkbox", id: "rp-geo" });
  geo.checked = geoWanted();
  geo.addEventListener("change", () => {
    try {
      localStorage.setItem(GEO_KEY, geo.checked ? "1" : "0");
    } catch {
      // not kept: asked again next time
    }
    if (geo.checked && navigator.geolocation) navigator.geolocation.getCurrentPosition(() => {}, () => {}, { timeout: 8000 });
  });

  const nextCard = !st.window
    ? h("div", { class: "card rp-next rp-next-wait" }, h("p", { class: "rp-next-title" }, windowText(st)), h("p", { class: "muted" }, rs("notOpenYet")))
    : next
      ? h(
          "div",
          { class: "card rp-next", "data-next": next.code },
          h("p", { class: "rp-next-kicker" }, rs("nextCheckpoint")),
          h("p", { class: "rp-next-title" }, next.label),
          whereOf(next) ? h("p", { class: "rp-next-where" }, whereOf(next)) : null,
          h("a", { class: "btn btn-primary btn-block btn-huge rp-scan", href: `#r/${round.id}/scan` }, icon("scan", 28), rs("scanCheckpoint")),
          h("a", { class: "btn btn-block btn-tall rp-pick", href: `#r/${round.id}/c/${encodeURIComponent(next.code)}` }, rs("checkWithoutScan")),
        )
      : h(
          "div",
          { class: "card rp-next rp-next-done" },
          h("p", { class: "rp-next-title" }, rs("allVisited")),
          h("a", { class: "btn btn-primary btn-block btn-huge", href: `#r/${round.id}/done` }, rs("finish")),
        );

  fill(view,
    h("a", { class: "rp-back", href: "#" }, "‹ ", rs("todaysRounds")),
    flashNode(),
    h(
      "header",
      { class: "rp-head" },
      h("h1", { class: "page-title" }, round.name),
      h("p", { class: "rp-when" }, windowText(st)),
      h(
        "div",
        { class: "rp-progress" },
        h("p", { class: "rp-progress-n", "data-progress": `${st.visited}/${st.total}` }, h("strong", {}, String(st.visited)), ` / ${st.total} `, h("span", {}, rs("visited"))),
        progressBar(st.visited, st.total),
        h(
          "p",
          { class: "rp-progress-facts" },
          st.points.some((p) => p.issue) ? h("span", { class: "badge badge-warn" }, rs("issuesN", { n: st.points.filter((p) => p.issue).length })) : null,
          st.count("no_access") ? h("span", { class: "badge rp-badge-na" }, rs("noAccessN", { n: st.count("no_access") })) : null,
        ),
      ),
    ),
    nextCard,
    h("section", { class: "rp-list", "aria-labelledby": "rp-list-title" }, h("h2", { id: "rp-list-title" }, rs("checkpoints")), filter, listBox),
    h("label", { class: "rp-geo", for: "rp-geo" }, geo, h("span", {}, rs("attachGeo"))),
    h("a", { class: "btn btn-block btn-tall rp-finish", href: `#r/${round.id}/done` }, rs("finishRound")),
  );
}

/** A round the phone does not hold. Before its first complete pull (just logged in, the estate
 * still being copied) that is "not here yet": say so, keep the link, and the status listener
 * below opens the round when the pull brings it. After one it is gone (retired, or another
 * estate's): say that and go home. */
async function gone() {
  if (!(await syncedFully())) {
    // A check's and the scanner's views draw from the rounds already read (world): the next
    // draw, once the pull has brought the round, reads the phone's store again.
    world = null;
    show("rp-round");
    fill(
      $("rp-round"),
      h("a", { class: "rp-back", href: "#" }, "‹ ", rs("todaysRounds")),
      h("div", { class: "card rp-empty", "data-rp-fetching": "", role: "status" }, h("p", { class: "shell-status-title" }, rs("roundFetchingTitle")), h("p", { class: "muted" }, rs("roundFetching"))),
    );
    return;
  }
  say(rs("roundGone"), "warn");
  location.hash = "";
}

// ---------------------------------------------------------------- scanning

async function renderScan(id) {
  if (!world) world = await loadWorld();
  const round = roundById(id);
  if (!round) return gone();
  show("scanner");
  const section = $("scanner");
  section.querySelector("[data-rp-scan-title]").textContent = round.name;
  const miss = section.querySelector("[data-rp-not-here]");
  miss.hidden = true;
  const codes = new Set(checkpoints(world, round).map((p) => p.code));
  const { startScanner } = await import("./scanner.js");
  const begin = () =>
    startScanner(section, {
      baseUrl: config().baseUrl,
      onCode: (code, method) => {
        if (!codes.has(code)) {
          const item = world.items.get(code);
          miss.querySelector("[data-rp-what]").textContent = item ? item.label : code;
          miss.hidden = false;
          setTimeout(() => {
            if (location.hash === `#r/${id}/scan`) begin();
          }, 1500);
          return;
        }
        methodFor = { code, method: method === "manual" ? "manual" : "scan" };
        location.hash = `#r/${id}/c/${encodeURIComponent(code)}`;
      },
      // A camera that cannot open shows why, with the way to the list: stay on that.
      onManual: () => {},
    });
  for (const b of section.querySelectorAll("[data-rp-to-list]")) {
    b.onclick = () => {
      location.hash = `#r/${id}`;
    };
  }
  await begin();
}

async function stopScanning() {
  if (document.body.dataset.view !== "scanner") return;
  const { stopScanner } = await import("./scanner.js");
  stopScanner();
}

// ---------------------------------------------------------------- a checkpoint

async function renderCheck(id, code) {
  if (!world) world = await loadWorld();
  const round = roundById(id);
  if (!round) return gone();
  const st = standing(round);
  const p = st.points.find((x) => x.code === code);
  if (!p) {
    say(rs("notOnRound"), "warn");
    location.hash = `#r/${id}`;
    return;
  }
  const method = methodFor && methodFor.code === code ? methodFor.method : "manual";
  methodFor = null;
  const { version, items } = checklistOf(round);
  const prefill = lastAnswers(world, code);
  const tz = st.tz;
  const view = $("rp-check");
  show("rp-check");
  // Not scanned: the header names how, and the reason once one is picked.
  const reasonBadge = h("span", { class: "method-reason", "data-method-reason": "", hidden: true });
  const onReason = (value) => {
    reasonBadge.textContent = `· ${pairName("manualReasons", value)}`;
    reasonBadge.dataset.methodReason = value;
    reasonBadge.hidden = false;
  };
  const form = checklistForm({ round, point: p, version, items, prefill, kind: round.kind, method, onReason }, (result, draft) => save(round, st, p, method, version, result, form, draft));
  const badge = { scan: ["badge-ok", rs("scanned")], typed: ["badge-info", rs("typed")], manual: ["badge-info", rs("picked")] }[method];
  fill(view,
    h("a", { class: "rp-back", href: `#r/${round.id}` }, "‹ ", round.name),
    h(
      "header",
      { class: "rp-check-head" },
      h(
        "p",
        { class: "rp-check-kicker" },
        h("span", { class: `badge ${badge[0]}`, "data-method": method }, badge[1], " ", reasonBadge),
        " ",
        h("span", { class: "muted" }, whereOf(p)),
      ),
      h("h1", { class: "page-title", id: "rp-check-title" }, p.label),
      p.short_code ? h("p", { class: "muted small rp-code" }, h("code", {}, `${p.short_code.slice(0, 4)}-${p.short_code.slice(4)}`)) : null,
    ),
    p.last ? h("p", { class: "flash rp-already" }, rs("alreadyChecked", { time: hmOf(p.last.at, tz) })) : null,
    prefill
      ? h("p", { class: "rp-prefill", "data-prefilled": "1" }, rs("prefilled", { when: `${dayText(prefill.at, tz)} ${hmOf(prefill.at, tz)}` }))
      : h("p", { class: "rp-prefill muted" }, rs("firstVisit")),
    h("section", { class: "card rp-check-card" }, form),
  );
}

function position() {
  if (!geoWanted() || !navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy ?? null }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 5000, maximumAge: 30_000 },
    );
  });
}

async function save(round, st, p, method, version, result, form, draft) {
  try {
    const geo = await position();
    // Who recorded it is a note for the phone's lists (the server knows the user from the
    // token): a meta store that does not answer must not stop the save.
    const meta = await store.getMetas(["user"]).catch(() => ({}));
    const username = meta.user?.username || phone().user?.username || "";
    const occurred = nowWithOffset();
    const item = { label: p.label, type: p.type };
    const payload = {
      id: draft.id("check"),
      code: p.code,
      method,
      result: result.result,
      answers: { _v: version, ...result.answers },
      photos: result.photos.map((x) => x.sha256),
      round_id: String(round.id),
    };
    // Not scanned: why (API.md manual_reason); "other" carries its words in the note's first line.
    if (method !== "scan" && result.manual) payload.manual_reason = result.manual.reason;
    const note = result.manual ? noteWithReason(result.manual.reason, result.manual.note, result.note) : result.note;
    if (note) payload.note = note;
    if (geo) payload.geo = geo;
    const entry = { op_id: draft.id("op"), type: "check.record", occurred_at: occurred, payload, code: p.code, item, username, created_at: Date.now(), state: "pending" };
    // A failed item is a finding, with the item's severity (critical for the major violations).
    const findings = result.failures.map(({ item: q, value }) => {
      const shas = q.type === "photo" ? [] : payload.photos;
      // The finding's note in the estate's language (zh), as the demo's and review's notes.
      const choice = (q.choices || []).find((c) => c.value === value);
      const answer = q.type === "choice" ? choice?.zh || choice?.en || value : value === "no" ? "否" : String(value);
      const note = [`${q.zh || q.en}：${answer}`, result.note].filter(Boolean).join(" — ");
      return {
        op_id: draft.id(`op:${q.key}`),
        type: "finding.create",
        occurred_at: occurred,
        // check_id: the check that raised it (API.md), so the server and the summary count it once.
        payload: { id: draft.id(`finding:${q.key}`), code: p.code, check_id: payload.id, severity: severityOf(q), category: categoryOf(round.kind, q), note, photos: shas },
        code: p.code,
        item,
        username,
        created_at: Date.now(),
        state: "pending",
      };
    });
    // The check and its findings: one action, kept together or not at all.
    await store.saveOps([entry, ...findings], result.photos);
    draft.saved();
    noteCheck(world, entry);
    for (const finding of findings) noteOp(world, finding);
    // What this check raised, counted as the summary counts it (its findings and the server's).
    const raised = raisedOf(world).get(payload.id) || [];
    const n = raised.length;
    const severity = n ? pairName("severities", worstSeverity(raised)) : "";
    say(
      result.result === "no_access"
        ? rs(n ? "savedNoAccessFindings" : "savedNoAccess", { label: p.label, n, severity })
        : n
          ? rs("savedFindings", { label: p.label, n, severity })
          : rs("saved", { label: p.label }),
      n ? "warn" : "ok",
      null,
      noticeOffer(round, p, result.failures, findings),
      [entry.op_id, ...findings.map((f) => f.op_id)],
    );
    navigator.serviceWorker?.ready.then((reg) => reg.sync && reg.sync.register("rounds-outbox")).catch(() => {});
    sync().catch(() => {});
    const fresh = standing(round);
    const next = suggestNext(fresh, p.code);
    location.hash = next ? `#r/${round.id}` : `#r/${round.id}/done`;
  } catch {
    const error = form.querySelector(".rp-error");
    error.textContent = rs("saveFailed");
    error.hidden = false;
  }
}

// ---------------------------------------------------------------- the summary

async function renderSummary(id) {
  world = await loadWorld();
  const round = roundById(id);
  if (!round) return gone();
  const st = standing(round);
  show("rp-summary");
  const left = st.points.filter((p) => p.status === "pending" || p.status === "missed");
  // Every finding this window's checks raised (a late check's too), whenever it was made, as
  // the server counts them: screens/rounds/findings.js.
  const found = countRaised(raisedOf(world), st.points.flatMap((p) => p.inside.map((c) => c.id)).filter(Boolean));
  const issues = st.points.filter((p) => p.issue).length;
  const waiting = world.ops.filter((e) => e.state === "pending").length;
  const stat = (n, label, cls) => h("div", { class: `rp-stat ${cls}`, "data-n": String(n) }, h("dd", {}, String(n)), h("dt", {}, label));
  const groups = [];
  let group = null;
  for (const p of left) {
    const g = whereOf(p) || rs("elsewhere");
    if (g !== group) {
      group = g;
      groups.push(h("li", { class: "rp-group" }, g));
    }
    groups.push(h("li", {}, h("a", { class: `rp-point is-${p.status}`, href: `#r/${round.id}/c/${encodeURIComponent(p.code)}`, "data-code": p.code }, h("span", { class: "rp-dot", "aria-hidden": "true" }), h("span", { class: "rp-point-label" }, p.label), h("span", { class: `rp-point-status st-${p.status}` }, rs(`st_${p.status}`)))));
  }
  fill($("rp-summary"),
    h("a", { class: "rp-back", href: `#r/${round.id}` }, "‹ ", round.name),
    flashNode(),
    h("h1", { class: "page-title" }, rs("summary")),
    h("p", { class: "rp-when" }, `${round.name} · ${windowText(st)}`),
    h(
      "div",
      { class: `card rp-summary-head ${left.length ? "has-left" : "is-complete"}` },
      h("p", { class: "rp-summary-big", "data-left": String(left.length) }, left.length ? rs("leftN", { n: left.length }) : rs("nothingLeft")),
      progressBar(st.visited, st.total),
      h(
        "dl",
        { class: "rp-stats" },
        stat(`${st.visited}/${st.total}`, rs("visited"), "is-visited"),
        stat(issues, rs("issue"), issues ? "is-issues" : ""),
        stat(st.count("no_access"), rs("st_no_access"), "is-na"),
        stat(found, rs("findings"), `rp-stat-findings${found ? " is-findings" : ""}`),
      ),
    ),
    left.length ? h("section", { class: "rp-list" }, h("h2", {}, rs("stillToCheck")), h("ul", { class: "rp-point-list" }, groups)) : null,
    h("p", { class: "rp-sync-line muted", role: "status" }, waiting ? rs("waitingSync", { n: waiting }) : rs("allSynced")),
    left.length && st.window ? h("a", { class: "btn btn-primary btn-block btn-huge", href: `#r/${round.id}` }, rs("continueRound")) : null,
    h(
      "button",
      {
        type: "button",
        class: `btn btn-block btn-tall rp-end${left.length ? "" : " btn-primary"}`,
        onclick: () => {
          setActive(null);
          say(left.length ? rs("endedLeft", { n: left.length }) : rs("endedAll"), left.length ? "warn" : "ok");
          location.hash = "";
        },
      },
      rs("endRound"),
    ),
  );
}

// ---------------------------------------------------------------- routing

let rendering = Promise.resolve();

function route() {
  rendering = rendering.then(async () => {
    await stopScanning();
    const hash = decodeURIComponent(location.hash.replace(/^#/, ""));
    const parts = hash.split("/");
    try {
      if (parts[0] === "r" && parts[1]) {
        if (parts[2] === "scan") await renderScan(parts[1]);
        else if (parts[2] === "c" && parts[3]) await renderCheck(parts[1], parts.slice(3).join("/"));
        else if (parts[2] === "done") await renderSummary(parts[1]);
        else await renderRound(parts[1]);
      } else {
        await renderHome();
      }
      document.documentElement.dataset.roundsReady = "1";
    } catch (error) {
      document.documentElement.dataset.roundsError = String(error && error.message);
      throw error;
    }
  });
  return rendering;
}

function init() {
  window.addEventListener("hashchange", () => route().catch(() => {}));
  // The header badge (#shell-network) is status.js's: whether the server answers.
  // New rounds or checks pulled while the list is showing: redraw it (not a form in progress).
  let seenSync = null;
  onStatus((m) => {
    if (m.type !== "status") return;
    const key = `${m.lastSyncAt}|${m.items}`;
    const typing = document.activeElement?.matches?.("input, textarea");
    if (seenSync !== null && key !== seenSync && !typing && ["rp-home", "rp-round"].includes(document.body.dataset.view)) route().catch(() => {});
    seenSync = key;
  });
  route().catch(() => {});
}

init();

// The window rules, for the browser test that checks them against webapp/rounds/rules.py.
export { nextStart, statusIn, windowsStarting } from "./screens/rounds/time.js";
