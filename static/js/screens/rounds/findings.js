// Which findings each check raised, as the server counts them (docs/rounds.md "Findings of a
// check"): the checklist's own (finding.create ops carrying the check's id) and the ones the
// server raises itself from a check (sync: rules a–c) — predicted here from the phone's own ops
// and pulled history until the server's copy of the check is pulled, then read from the pulled
// findings by check_id. Pure: no DOM, no store (tests/js/findings.test.mjs).
//
// The server's rules (sync/derived.py, docs/sync-protocol.md), for a check C of an item:
//   a. "issue": result 有問題 and its checklist failed no item (failed() below) and no finding
//      names it → one finding, medium, category by the round's kind (renovation 裝修違規,
//      signage 標識問題, else 其他; a sign checked outside any round 標識問題);
//   b. "relabel": typed or picked with manual_reason label_missing / label_damaged → one
//      標籤需更換, low, unless one is open for the item;
//   c. "refused": a refusal whose neighbouring check of the item by device time (the one
//      before it, or for one that arrives late the one after) was a refusal too → one
//      連續拒絕入戶, medium, unless one is open for the item.
// "Open" is any status but closed. tests/sync/test_derived_phone.py runs this module on every
// case the vocabularies allow and holds it to sync/derived.py: change both together.

export const RELABEL = "標籤需更換";
export const REFUSED = "連續拒絕入戶";
const ISSUE_CATEGORY = { renovation: "裝修違規", signage: "標識問題" };
const RELABEL_REASONS = new Set(["label_missing", "label_damaged"]);
export const RULE_SEVERITY = { issue: "medium", relabel: "low", refused: "medium" };
const CLOSED = new Set(["closed"]);
const RANK = { low: 1, medium: 2, high: 3, critical: 4 };

/** Whether an answer fails its item: "no" to a yes/no, a choice outside the item's "ok". */
export function failed(item, value) {
  if (value === undefined || value === null || value === "") return false;
  if (item.type === "yesno") return value === "no";
  if (item.type === "choice") return Array.isArray(item.ok) && item.ok.length > 0 && !item.ok.includes(value);
  return false;
}

/** Whether answers fail any item of a checklist. */
export function anyFailed(items, answers) {
  return (items || []).some((item) => item && failed(item, (answers || {})[item.key]));
}

/** Rule a's category: the round's form's; a sign checked outside any round is a sign problem. */
export function issueCategory(kind, itemType = null) {
  if (!kind && itemType === "sign") return ISSUE_CATEGORY.signage;
  return ISSUE_CATEGORY[kind] || "其他";
}

/** Which rule raised a finding of the server's own (not a finding.create of the phone's). */
export function ruleOf(finding) {
  if (finding.category === RELABEL) return "relabel";
  if (finding.category === REFUSED) return "refused";
  return "issue";
}

const refused = (c) => Boolean(c) && c.result === "no_access" && (c.answers || {}).no_access === "refused";
// Checks by device time, ties by id (the server's order).
const byTime = (x, y) => x.at - y.at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);

/**
 * Every finding each check raised, by check id.
 *
 * - `checks`: every check the phone knows of, `{id, code, at (ms), result, answers, method,
 *   manual_reason?, round_id?, item_type?, own?, pulled?, seq?}` — `own`: one of this phone's ops (waiting
 *   or settled), `pulled`: the server's copy is in the store (the same id may come twice, once
 *   of each); `seq`: the order the phone sends its own (the outbox order).
 * - `ops`: this phone's finding.create ops, `{id, check_id?, code, occurred_at, severity,
 *   category}`; one without `check_id` (an older app) belongs to its own check op of the same
 *   code saved at the same `occurred_at` (one save made them).
 * - `findings`: the pulled findings, `{id, check_id?, code, category, status, severity}`.
 * - `kindOf(round_id)`: the kind of a check's round, for rule a's category;
 *   `failedAny(check)`: whether its answers fail an item of its round's checklist (rule a).
 *
 * Returns Map(check id → [{id, rule, severity, category, predicted}]): `rule` is "checklist"
 * for the checklist's findings, else "issue" / "relabel" / "refused"; `predicted` when the
 * server has not raised it yet as far as the phone has pulled.
 */
export function raisedBy({ checks = [], ops = [], findings = [], kindOf = () => null, failedAny = () => false } = {}) {
  // One record per check id: the phone's op and the pulled copy are the same check.
  const byId = new Map();
  for (const c of checks) {
    if (!c || !c.id) continue;
    const seen = byId.get(c.id);
    if (seen) {
      seen.own ||= Boolean(c.own);
      seen.pulled ||= Boolean(c.pulled);
      if (seen.manual_reason == null && c.manual_reason != null) seen.manual_reason = c.manual_reason;
      if (c.seq != null && (seen.seq == null || c.seq < seen.seq)) seen.seq = c.seq;
    } else {
      byId.set(c.id, { ...c, own: Boolean(c.own), pulled: Boolean(c.pulled) });
    }
  }
  const byCode = new Map();
  for (const c of byId.values()) {
    if (!byCode.has(c.code)) byCode.set(c.code, []);
    byCode.get(c.code).push(c);
  }

  // The phone's finding ops, each on its check.
  const ownChecks = [...byId.values()].filter((c) => c.own);
  const checkOfOp = (op) => {
    if (op.check_id) return op.check_id;
    const at = Date.parse(op.occurred_at);
    const same = ownChecks.find((c) => c.code === op.code && c.at === at);
    return same ? same.id : null;
  };
  const opIds = new Set(ops.map((op) => op.id));
  const out = new Map();
  const add = (checkId, f) => {
    if (!out.has(checkId)) out.set(checkId, []);
    out.get(checkId).push(f);
  };
  const linked = new Map(); // check id → its checklist ops
  for (const op of ops) {
    const id = checkOfOp(op);
    if (!id) continue;
    if (!linked.has(id)) linked.set(id, []);
    linked.get(id).push(op);
  }

  // What the server has raised, as pulled; the server's copy of one of ours counts once.
  const pulledOf = new Map();
  for (const f of findings) {
    if (!f.check_id) continue;
    if (!pulledOf.has(f.check_id)) pulledOf.set(f.check_id, []);
    pulledOf.get(f.check_id).push(f);
    const rule = opIds.has(f.id) ? "checklist" : ruleOf(f);
    add(f.check_id, { id: f.id, rule, severity: f.severity, category: f.category, predicted: false });
  }
  for (const [checkId, list] of linked) {
    const held = new Set((pulledOf.get(checkId) || []).map((f) => f.id));
    for (const op of list) {
      if (!held.has(op.id)) add(checkId, { id: op.id, rule: "checklist", severity: op.severity, category: op.category, predicted: false });
    }
  }

  // The rules, for the checks the server has not answered yet as far as the phone knows, in
  // the order the phone sends them: each arrives on a timeline of what the server already
  // holds (and the ones sent before it), and "unless one is open" sees those raised before.
  const openFor = (code, category) => findings.some((f) => f.code === code && f.category === category && !CLOSED.has(f.status));
  const predictedOpen = new Set(); // `${rule}|${code}`
  const waiting = ownChecks.filter((c) => !c.pulled).sort((x, y) => (x.seq ?? x.at) - (y.seq ?? y.at) || byTime(x, y));
  const waitingIds = new Set(waiting.map((c) => c.id));
  const timelines = new Map(); // code → the checks the server holds by now, by device time
  for (const [code, list] of byCode) timelines.set(code, list.filter((c) => !waitingIds.has(c.id)).sort(byTime));
  for (const c of waiting) {
    const timeline = timelines.get(c.code);
    let at = timeline.findIndex((x) => byTime(x, c) > 0);
    if (at < 0) at = timeline.length;
    timeline.splice(at, 0, c);
    const raised = new Set((pulledOf.get(c.id) || []).filter((f) => !opIds.has(f.id)).map(ruleOf));
    const predict = (rule, category) => {
      predictedOpen.add(`${rule}|${c.code}`);
      if (raised.has(rule)) return; // pulled already: counted above
      add(c.id, { id: `${rule}:${c.id}`, rule, severity: RULE_SEVERITY[rule], category, predicted: true });
    };
    const open = (rule, category) => openFor(c.code, category) || predictedOpen.has(`${rule}|${c.code}`);
    if (c.result === "issue" && !failedAny(c) && !(linked.get(c.id) || []).length) predict("issue", issueCategory(kindOf(c.round_id), c.item_type));
    if (c.method !== "scan" && RELABEL_REASONS.has(c.manual_reason) && !open("relabel", RELABEL)) predict("relabel", RELABEL);
    if (refused(c) && !open("refused", REFUSED) && (refused(timeline[at - 1]) || refused(timeline[at + 1]))) predict("refused", REFUSED);
  }
  return out;
}

/** How many findings these checks raised. */
export function countRaised(raised, checkIds) {
  let n = 0;
  for (const id of new Set(checkIds)) n += (raised.get(id) || []).length;
  return n;
}

/** The highest severity of a list of findings (null for none). */
export function worstSeverity(list) {
  let worst = null;
  for (const f of list) if (f.severity && (!worst || (RANK[f.severity] || 0) > (RANK[worst] || 0))) worst = f.severity;
  return worst;
}
