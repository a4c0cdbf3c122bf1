// Which findings each check raised, as the server counts them (docs/rounds.md "Findings of a
// check"): the checklist's own (finding.create ops carrying the check's id) and the ones the
// server raises itself from a check (sync: rules a–c) — predicted here from the phone's own ops
// and pulled history until the server's copy of the check is pulled, then read from the pulled
// findings by check_id. Pure: no DOM, no store (tests/js/findings.test.mjs).
//
// The server's rules, for a check C of an item:
//   a. result "issue" and no failed checklist item → one finding, medium, category by the
//      round's kind (renovation 裝修違規, signage 標識問題, else 其他);
//   b. manual_reason label_missing / label_damaged → one relabel finding (標籤需更換), unless
//      one is open for the item;
//   c. result no_access, answers.no_access "refused", and the item's previous check by device
//      time was a refusal too → one finding (連續拒絕入戶), unless one is open for the item.

export const RELABEL = "標籤需更換";
export const REFUSALS = "連續拒絕入戶";
const ISSUE_CATEGORY = { renovation: "裝修違規", signage: "標識問題" };
const RELABEL_REASONS = new Set(["label_missing", "label_damaged"]);
// What the server's rules give each finding they raise (sync/derived.py).
export const RULE_SEVERITY = { issue: "medium", relabel: "medium", refusals: "medium" };
// A finding still open for the item, for "unless one is open" (every status but closed).
const CLOSED = new Set(["closed"]);
const RANK = { low: 1, medium: 2, high: 3, critical: 4 };

export const issueCategory = (kind) => ISSUE_CATEGORY[kind] || "其他";

/** Which rule raised a finding of the server's own (not a finding.create of the phone's). */
export function ruleOf(finding) {
  if (finding.category === RELABEL) return "relabel";
  if (finding.category === REFUSALS) return "refusals";
  return "issue";
}

const refused = (c) => c && c.result === "no_access" && (c.answers || {}).no_access === "refused";

/**
 * Every finding each check raised, by check id.
 *
 * - `checks`: every check the phone knows of, `{id, code, at (ms), result, answers,
 *   manual_reason?, round_id?, own?, pulled?, seq?}` — `own`: one of this phone's ops (waiting
 *   or settled), `pulled`: the server's copy is in the store (the same id may come twice, once
 *   of each); `seq`: the order the phone sends its own (the outbox order).
 * - `ops`: this phone's finding.create ops, `{id, check_id?, code, occurred_at, severity,
 *   category}`; one without `check_id` (an older app) belongs to its own check op of the same
 *   code saved at the same `occurred_at` (one save made them).
 * - `findings`: the pulled findings, `{id, check_id?, code, category, status, severity}`.
 * - `kindOf(round_id)`: the kind of a check's round, for rule a's category.
 *
 * Returns Map(check id → [{id, rule, severity, category, predicted}]): `rule` is "checklist"
 * for the checklist's findings, else "issue" / "relabel" / "refusals"; `predicted` when the
 * server has not raised it yet as far as the phone has pulled.
 */
export function raisedBy({ checks = [], ops = [], findings = [], kindOf = () => null } = {}) {
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
  for (const list of byCode.values()) list.sort((x, y) => x.at - y.at);

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
  // the order the phone sends them ("unless one is open" sees the ones predicted before).
  const openFor = (code, category) => findings.some((f) => f.code === code && f.category === category && !CLOSED.has(f.status));
  const predictedOpen = new Set(); // `${rule}|${code}`
  const waiting = ownChecks.filter((c) => !c.pulled).sort((x, y) => (x.seq ?? x.at) - (y.seq ?? y.at) || x.at - y.at);
  for (const c of waiting) {
    const raised = new Set((pulledOf.get(c.id) || []).filter((f) => !opIds.has(f.id)).map(ruleOf));
    const predict = (rule, category) => {
      predictedOpen.add(`${rule}|${c.code}`);
      if (raised.has(rule)) return; // pulled already: counted above
      add(c.id, { id: `${rule}:${c.id}`, rule, severity: RULE_SEVERITY[rule], category, predicted: true });
    };
    if (c.result === "issue" && !(linked.get(c.id) || []).length) predict("issue", issueCategory(kindOf(c.round_id)));
    if (RELABEL_REASONS.has(c.manual_reason) && !openFor(c.code, RELABEL) && !predictedOpen.has(`relabel|${c.code}`)) predict("relabel", RELABEL);
    if (refused(c) && !openFor(c.code, REFUSALS) && !predictedOpen.has(`refusals|${c.code}`)) {
      const list = byCode.get(c.code) || [];
      const before = list.filter((x) => x.id !== c.id && x.at < c.at);
      if (refused(before[before.length - 1])) predict("refusals", REFUSALS);
    }
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
