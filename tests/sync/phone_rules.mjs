// The phone's predictions of the findings the server raises (static/js/screens/rounds/
// findings.js), for tests/sync/test_derived_phone.py: the cases as JSON on stdin, the phone's
// answers as JSON on stdout.
//
//   node phone_rules.mjs < cases.json
import { readFileSync } from "node:fs";
import * as m from "../../static/js/screens/rounds/findings.js";

const cases = JSON.parse(readFileSync(0, "utf8"));
const T = Date.UTC(2026, 2, 2, 9);
const check = (id, extra) => ({ id, code: "U1", at: T, result: "ok", answers: {}, method: "scan", own: true, ...extra });
// What check "c" raises by `rule` (all rules when none named).
const rules = (input, rule = null) => [...(m.raisedBy(input).get("c") || [])]
  .filter((f) => !rule || f.rule === rule)
  .map((f) => [f.rule, f.category, f.severity]);
process.stdout.write(JSON.stringify({
  names: { relabel: m.RELABEL, refused: m.REFUSED, severity: m.RULE_SEVERITY },
  failed: cases.failed.map(([item, value]) => m.failed(item, value)),
  anyFailed: cases.anyFailed.map(([items, answers]) => m.anyFailed(items, answers)),
  category: cases.category.map(([kind, type]) => m.issueCategory(kind, type)),
  relabel: cases.relabel.map(([method, reason]) => rules({ checks: [check("c", { method, manual_reason: reason })] })),
  refused: cases.refused.map(([result, answers]) => rules({ checks: [
    check("b", { result: "no_access", answers: { no_access: "refused" }, at: T - 3600e3, own: false, pulled: true }),
    check("c", { result, answers }),
  ] }, "refused")),
  open: cases.open.map((status) => rules({
    checks: [check("c", { method: "manual", manual_reason: "label_missing" })],
    findings: [{ id: "f", check_id: "old", code: "U1", category: m.RELABEL, status, severity: "low" }],
  })),
}));
