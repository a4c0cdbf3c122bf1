// What a round is made of on the phone, read from the store (pulled by sync.js): rounds,
// their checkpoints in building and floor order, and every check the phone knows of (pulled
// ones of the last 30 days, this phone's outbox and journal) to tell progress and prefill.
import * as store from "../../store.js";
import { anyFailed, raisedBy } from "./findings.js";

const BIG = 1 << 30;

const allOf = (type) => store.withDB((db) => db.getAllFromIndex("objects", "type", type));
const allJournal = () => store.withDB((db) => db.getAll("journal"));

/** Everything the rounds page needs, in one read. */
export async function loadWorld() {
  const [estates, buildings, rounds, signs, units, pulled, findings, outbox, journal, meta] = await Promise.all([
    allOf("estate"),
    allOf("building"),
    allOf("round"),
    allOf("sign"),
    allOf("unit"),
    allOf("check"),
    allOf("finding"),
    store.outboxEntries(),
    allJournal(),
    store.getMetas(["user", "last_sync_at"]),
  ]);
  const world = {
    estates: new Map(estates.map((r) => [Number(r.id), r.data])),
    buildings: new Map(buildings.map((r) => [Number(r.id), r.data])),
    rounds: rounds.map((r) => ({ id: String(r.id), ...r.data })),
    items: new Map(),
    checks: new Map(),
    findings: findings.map((r) => ({
      id: String(r.id),
      code: r.data.code,
      occurred_at: r.data.occurred_at,
      severity: r.data.severity,
      category: r.data.category,
      status: r.data.status,
      check_id: r.data.check_id ?? null, // the check that raised it (screens/rounds/findings.js)
    })),
    ops: [...outbox, ...journal].filter((e) => e.state !== "rejected" && e.state !== "withdrawn"),
    user: meta.user || null,
    lastSync: meta.last_sync_at || null,
  };
  for (const r of [...signs, ...units]) {
    if (r.code) world.items.set(r.code, { code: r.code, short_code: r.short_code, label: r.label, type: r.type, id: Number(r.id), data: r.data });
  }
  for (const r of pulled) addCheck(world, r.data.code, Date.parse(r.data.occurred_at), { ...r.data, id: String(r.id) }, r.data.answers);
  for (const e of world.ops) {
    if (e.type === "check.record") addCheck(world, e.payload.code, Date.parse(e.occurred_at), e.payload, e.payload.answers, e);
  }
  world.rounds.sort((a, b) => a.estate_id - b.estate_id || kindOrder(a.kind) - kindOrder(b.kind) || a.name.localeCompare(b.name));
  return world;
}

const KINDS = ["signage", "renovation", "vacant", "custom"];
const kindOrder = (k) => (KINDS.includes(k) ? KINDS.indexOf(k) : 9);

function addCheck(world, code, at, data, answers, entry = null) {
  if (!code || Number.isNaN(at)) return;
  let list = world.checks.get(code);
  if (!list) world.checks.set(code, (list = []));
  list.push({
    id: data.id ?? null,
    code,
    at,
    result: data.result,
    answers: answers || {},
    round_id: data.round_id ?? null,
    method: data.method,
    manual_reason: data.manual_reason ?? null,
    item_type: data.item_type ?? entry?.item?.type ?? null,
    // The phone's own op (seq: the order it is sent in) or the server's copy, pulled.
    own: Boolean(entry),
    pulled: !entry,
    seq: entry ? entry.created_at ?? null : null,
    entry,
  });
}

/** Record a check made just now without reading the store again. */
export function noteCheck(world, entry) {
  addCheck(world, entry.payload.code, Date.parse(entry.occurred_at), entry.payload, entry.payload.answers, entry);
  world.ops.push(entry);
}

export function noteOp(world, entry) {
  world.ops.push(entry);
}

function buildingOf(world, id) {
  return world.buildings.get(Number(id)) || null;
}

/** A checkpoint as the page shows it: the item, where it is and how it sorts. */
function point(world, item) {
  const d = item.data || {};
  const b = d.building_id != null ? buildingOf(world, d.building_id) : null;
  return {
    code: item.code,
    short_code: item.short_code,
    label: item.label,
    type: item.type,
    building: b ? b.name : "",
    buildingSort: b && b.sort_key != null ? b.sort_key : BIG,
    entrance: d.entrance ?? null,
    floor: d.floor ?? null,
    room: d.room ?? null,
    id: item.id,
    item,
  };
}

function compare(a, b) {
  return (
    a.buildingSort - b.buildingSort ||
    a.building.localeCompare(b.building) ||
    (a.type === "unit" ? cmp(a.entrance, b.entrance) : 0) ||
    cmp(a.floor ?? -1, b.floor ?? -1) ||
    cmp(a.room, b.room) ||
    a.id - b.id
  );
}

function cmp(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** The round's checkpoints from the store as it stands now, in building and floor order. */
export function checkpoints(world, round) {
  const estate = Number(round.estate_id);
  const out = [];
  if (round.kind === "custom") {
    for (const code of round.items || []) {
      const item = world.items.get(code);
      if (item) out.push(point(world, item));
    }
    return out; // the supervisor's order
  }
  const wanted = round.kind === "signage" ? "sign" : "unit";
  const status = { renovation: "renovating", vacant: "vacant" }[round.kind];
  for (const item of world.items.values()) {
    if (item.type !== wanted || Number(item.data.estate_id) !== estate) continue;
    if (status && item.data.status !== status) continue;
    out.push(point(world, item));
  }
  return out.sort(compare);
}

/** Every check of a code the phone knows of, oldest first. */
export function seenOf(world, code) {
  return (world.checks.get(code) || []).slice().sort((a, b) => a.at - b.at);
}

/** The answers of the last visit that answered the checklist (not a no-access). */
export function lastAnswers(world, code, now = Date.now()) {
  const seen = seenOf(world, code).filter((s) => s.at <= now);
  for (let i = seen.length - 1; i >= 0; i--) {
    const answers = seen[i].answers || {};
    if (seen[i].result !== "no_access" && Object.keys(answers).some((k) => !k.startsWith("_"))) {
      return { at: seen[i].at, answers };
    }
  }
  return null;
}

/** Every finding each check raised, by check id, as the server counts them (findings.js). */
export function raisedOf(world) {
  const rounds = new Map(world.rounds.map((r) => [String(r.id), r]));
  const ops = world.ops
    .filter((e) => e.type === "finding.create")
    .map((e) => ({ id: e.payload.id, check_id: e.payload.check_id, code: e.payload.code ?? e.code, occurred_at: e.occurred_at, severity: e.payload.severity, category: e.payload.category }));
  return raisedBy({
    checks: [...world.checks.values()].flat(),
    ops,
    findings: world.findings,
    kindOf: (roundId) => (roundId == null ? null : rounds.get(String(roundId))?.kind || null),
    // Rule a reads the checklist in the version answered (answers._v), as the server does.
    failedAny: (c) => {
      const round = c.round_id == null ? null : rounds.get(String(c.round_id));
      const items = round?.checklists?.[String((c.answers || {})._v ?? round?.checklist_version ?? 1)];
      return anyFailed(items, c.answers);
    },
  });
}

/** The checklist (items) of a round's current version. */
export function checklistOf(round) {
  const lists = round.checklists || {};
  const version = String(round.checklist_version || 1);
  if (lists[version]) return { version: Number(version), items: lists[version] };
  const versions = Object.keys(lists).map(Number).sort((a, b) => b - a);
  return versions.length ? { version: versions[0], items: lists[String(versions[0])] } : { version: 1, items: [] };
}
