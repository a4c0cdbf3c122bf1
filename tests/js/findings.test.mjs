// The findings a round's checks raised, counted on the phone as the server counts them
// (static/js/screens/rounds/findings.js): the checklist's own, and the server's rules a–c
// predicted from the phone's ops until the server's copy is pulled — never counted twice.
import assert from "node:assert/strict";
import { test } from "node:test";
import { anyFailed, countRaised, failed, raisedBy, REFUSED, RELABEL, worstSeverity } from "../../static/js/screens/rounds/findings.js";

const H = 3_600_000;
const T0 = Date.UTC(2026, 11, 5, 0, 0); // 08:00 in Taipei
const iso = (ms) => new Date(ms).toISOString();
const kinds = { 1: "renovation", 2: "signage", 3: "vacant" };
const kindOf = (id) => kinds[id] || null;

// A check of this phone's (own) or pulled from the server.
const check = (id, at, extra = {}) => ({ id, code: "U1", at, result: "ok", answers: {}, method: "manual", round_id: "1", own: true, pulled: false, seq: at, ...extra });
const refusal = (id, at, extra = {}) => check(id, at, { result: "no_access", answers: { no_access: "refused" }, ...extra });
const op = (id, checkId, at, extra = {}) => ({ id, check_id: checkId, code: "U1", occurred_at: iso(at), severity: "medium", category: "裝修違規", ...extra });
const pulledFinding = (id, checkId, category, extra = {}) => ({ id, check_id: checkId, code: "U1", category, status: "open", severity: "medium", ...extra });

// [what, input, the window's check ids, how many findings, their rules (sorted)]
const CASES = [
  ["an ok check raises nothing", { checks: [check("c1", T0)] }, ["c1"], 0, []],
  [
    "a checklist failure is its finding op, once",
    { checks: [check("c1", T0, { result: "issue" })], ops: [op("f1", "c1", T0)] },
    ["c1"],
    1,
    ["checklist"],
  ],
  [
    "two failed items: two findings, and no rule-a finding besides",
    { checks: [check("c1", T0, { result: "issue" })], ops: [op("f1", "c1", T0), op("f2", "c1", T0)] },
    ["c1"],
    2,
    ["checklist", "checklist"],
  ],
  [
    "an issue check with no failed item: the server raises one (rule a)",
    { checks: [check("c1", T0, { result: "issue" })] },
    ["c1"],
    1,
    ["issue"],
  ],
  [
    "a late check (after the window closed) counts for its window all the same",
    { checks: [check("late", T0 + 11 * H, { result: "issue" })], ops: [op("f1", "late", T0 + 11 * H)] },
    ["late"],
    1,
    ["checklist"],
  ],
  [
    "a finding op of an older app (no check_id) belongs to the check saved with it",
    { checks: [check("c1", T0, { result: "issue" })], ops: [op("f1", undefined, T0)] },
    ["c1"],
    1,
    ["checklist"],
  ],
  [
    "an issue check whose answers fail an item raises no rule-a finding (the checklist decides)",
    { checks: [check("c1", T0, { result: "issue", failed: true })] },
    ["c1"],
    0,
    [],
  ],
  [
    "a damaged label makes a relabel finding (rule b)",
    { checks: [check("c1", T0, { manual_reason: "label_damaged" })] },
    ["c1"],
    1,
    ["relabel"],
  ],
  [
    "a missing label with an issue and no failed item: two findings",
    { checks: [check("c1", T0, { result: "issue", manual_reason: "label_missing" })] },
    ["c1"],
    2,
    ["issue", "relabel"],
  ],
  [
    "an unreadable label or a broken camera makes none",
    { checks: [check("c1", T0, { manual_reason: "label_unreadable" }), check("c2", T0 + H, { code: "U2", manual_reason: "camera_unavailable" })] },
    ["c1", "c2"],
    0,
    [],
  ],
  [
    "no relabel finding while one is open for the item",
    { checks: [check("c1", T0, { manual_reason: "label_damaged" })], findings: [pulledFinding("old", "c0", RELABEL)] },
    ["c1"],
    0,
    [],
  ],
  [
    "a closed relabel finding does not stop a new one",
    { checks: [check("c1", T0, { manual_reason: "label_damaged" })], findings: [pulledFinding("old", "c0", RELABEL, { status: "closed" })] },
    ["c1"],
    1,
    ["relabel"],
  ],
  [
    "two damaged-label checks waiting: the first one's finding is open for the second",
    { checks: [check("c1", T0, { manual_reason: "label_damaged" }), check("c2", T0 + H, { manual_reason: "label_missing" })] },
    ["c1", "c2"],
    1,
    ["relabel"],
  ],
  ["one refusal raises nothing", { checks: [refusal("r1", T0)] }, ["r1"], 0, []],
  [
    "two refusals in a row: the second raises one (rule c)",
    { checks: [refusal("r1", T0), refusal("r2", T0 + 24 * H)] },
    ["r2"],
    1,
    ["refused"],
  ],
  [
    "a refusal after a pulled refusal (another phone's) raises one",
    { checks: [refusal("r0", T0 - 24 * H, { own: false, pulled: true }), refusal("r2", T0)] },
    ["r2"],
    1,
    ["refused"],
  ],
  [
    "the previous check is by device time: a refusal recorded later but made before an ok visit",
    { checks: [check("ok", T0), refusal("r1", T0 - H, { seq: T0 + 5 * H }), refusal("r2", T0 + H, { seq: T0 + H })] },
    ["ok", "r1", "r2"],
    0,
    [],
  ],
  [
    "a refusal that arrives late, just before a refusal the server holds, raises one",
    { checks: [refusal("r2", T0 + H, { own: false, pulled: true }), refusal("r1", T0)] },
    ["r1"],
    1,
    ["refused"],
  ],
  [
    "an ok visit between two refusals breaks the streak",
    { checks: [refusal("r1", T0, { own: false, pulled: true }), check("ok", T0 + H, { own: false, pulled: true }), refusal("r2", T0 + 2 * H)] },
    ["r2"],
    0,
    [],
  ],
  [
    "no refused-twice finding while one is open for the item",
    { checks: [refusal("r1", T0, { own: false, pulled: true }), refusal("r2", T0 + H)], findings: [pulledFinding("old", "r0", REFUSED, { status: "dispatched" })] },
    ["r2"],
    0,
    [],
  ],
  [
    "nobody home is not a refusal",
    { checks: [refusal("r1", T0), check("r2", T0 + H, { result: "no_access", answers: { no_access: "nobody_home" } })] },
    ["r2"],
    0,
    [],
  ],
  [
    "three refusals: the open finding of the second stops a third",
    { checks: [refusal("r1", T0), refusal("r2", T0 + H), refusal("r3", T0 + 2 * H)] },
    ["r1", "r2", "r3"],
    1,
    ["refused"],
  ],
  [
    "a pulled server finding matching a waiting prediction is counted once",
    { checks: [check("c1", T0, { result: "issue" })], findings: [pulledFinding("srv-a", "c1", "裝修違規")] },
    ["c1"],
    1,
    ["issue"],
  ],
  [
    "a pulled copy of the phone's own finding op is the same finding",
    { checks: [check("c1", T0, { result: "issue" })], ops: [op("f1", "c1", T0)], findings: [pulledFinding("f1", "c1", "裝修違規")] },
    ["c1"],
    1,
    ["checklist"],
  ],
  [
    "once the server's check is pulled, its findings are the server's: nothing is predicted",
    {
      checks: [check("c1", T0, { manual_reason: "label_damaged" }), check("c1", T0, { own: false, pulled: true })],
      findings: [],
    },
    ["c1"],
    0,
    [],
  ],
  [
    "a pulled check of another phone counts the server's findings by check_id",
    {
      checks: [check("x1", T0, { own: false, pulled: true, result: "issue" })],
      findings: [pulledFinding("s1", "x1", "裝修違規"), pulledFinding("s2", "x1", RELABEL), pulledFinding("s3", "other", REFUSED)],
    },
    ["x1"],
    2,
    ["issue", "relabel"],
  ],
  [
    "a finding with no check (recorded on the item screen) is no check's",
    { checks: [check("c1", T0)], findings: [{ id: "loose", code: "U1", category: "漏水", status: "open", severity: "high" }] },
    ["c1"],
    0,
    [],
  ],
];

for (const [what, input, ids, n, rules] of CASES) {
  test(what, () => {
    const raised = raisedBy({ ops: [], findings: [], kindOf, failedAny: (c) => Boolean(c.failed), ...input });
    assert.equal(countRaised(raised, ids), n);
    assert.deepEqual(ids.flatMap((id) => (raised.get(id) || []).map((f) => f.rule)).sort(), rules);
  });
}

test("rule a's category is the round's: renovation, signage, else 其他", () => {
  const cats = ["1", "2", "3", null].map((round) => {
    const raised = raisedBy({ checks: [check("c", T0, { result: "issue", round_id: round })], kindOf });
    return raised.get("c")[0].category;
  });
  assert.deepEqual(cats, ["裝修違規", "標識問題", "其他", "其他"]);
});

test("a sign checked outside any round: rule a's category is a sign problem", () => {
  const raised = raisedBy({ checks: [check("c", T0, { result: "issue", round_id: null, item_type: "sign" })], kindOf });
  assert.equal(raised.get("c")[0].category, "標識問題");
});

test("the rules' severities: medium for an issue and two refusals, low for a relabel", () => {
  const raised = raisedBy({ checks: [check("c", T0, { result: "issue", manual_reason: "label_missing" })], kindOf });
  assert.deepEqual(Object.fromEntries(raised.get("c").map((f) => [f.rule, f.severity])), { issue: "medium", relabel: "low" });
});

test("the failed-item rule is the server's: a no to a yes/no, a choice outside a non-empty ok", () => {
  const yesno = { key: "a", type: "yesno" };
  const choice = { key: "b", type: "choice", ok: ["in_place"] };
  assert.deepEqual([failed(yesno, "no"), failed(yesno, "na"), failed(yesno, "")], [true, false, false]);
  assert.deepEqual([failed(choice, "damaged"), failed(choice, "in_place"), failed({ ...choice, ok: [] }, "damaged")], [true, false, false]);
  assert.equal(anyFailed([yesno, choice], { a: "yes", b: "dirty" }), true);
  assert.equal(anyFailed([yesno, choice], { a: "yes" }), false);
});

test("the worst severity of a check's findings names the toast's severity", () => {
  assert.equal(worstSeverity([{ severity: "medium" }, { severity: "critical" }, { severity: "low" }]), "critical");
  assert.equal(worstSeverity([]), null);
});
