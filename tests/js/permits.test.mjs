// A unit's renovation on the phone (static/js/screens/item/permits.js): permit states as the
// server's RenovationPermit.state, hours as words, and notices merged from the server's copies
// and this phone's own entries ("number on sync" until the server numbers them).
import assert from "node:assert/strict";
import { test } from "node:test";
import { acceptanceDue, addDays, hoursText, noticeList, permitState, shownPermits } from "../../static/js/screens/item/permits.js";

test("a permit is upcoming before its start, overrun past its end, else active", () => {
  const p = { starts_on: "2026-03-01", ends_on: "2026-04-30" };
  assert.equal(permitState(p, "2026-02-28"), "upcoming");
  assert.equal(permitState(p, "2026-03-01"), "active");
  assert.equal(permitState(p, "2026-04-30"), "active");
  assert.equal(permitState(p, "2026-05-01"), "overrun");
  assert.equal(permitState({ starts_on: "2026-03-01", ends_on: null }, "2099-01-01"), "active");
});

test("begun permits come first, then those not yet begun", () => {
  const shown = shownPermits(
    [
      { number: "B", starts_on: "2026-06-01", ends_on: "2026-07-01" },
      { number: "A", starts_on: "2026-01-01", ends_on: "2026-02-01" },
    ],
    "2026-03-01",
  );
  assert.deepEqual(shown.map((p) => [p.number, p.state]), [["A", "overrun"], ["B", "upcoming"]]);
});

test("hours read as the permit writes them; days add on the calendar", () => {
  assert.equal(hoursText([{ start: "08:00", end: "12:00" }, { start: "14:00", end: "18:00" }]), "08:00–12:00、14:00–18:00");
  assert.equal(hoursText([{ start: "08:00", end: "12:00" }, { start: "14:00", end: "18:00" }], ", "), "08:00–12:00, 14:00–18:00");
  assert.equal(hoursText([]), "");
  assert.equal(addDays("2026-12-28", 7), "2027-01-04");
  assert.equal(addDays("2028-02-27", 2), "2028-02-29");
});

const issue = (id, state, at = "2026-03-02T10:00:00+08:00") => ({
  type: "notice.issue",
  state,
  occurred_at: at,
  payload: { id, code: "C", rules: ["facade"], deadline: "2026-03-09", photos: ["a".repeat(64)] },
});

test("a notice issued offline shows without a number until the server's copy arrives", () => {
  const own = [issue("n1", "pending")];
  const [n] = noticeList([], own, "2026-03-02");
  assert.equal(n.number, null);
  assert.equal(n.pending, true);
  assert.equal(n.shown, "issued");
  const pulled = [{ id: "n1", data: { number: "2026-0042", rules: ["facade"], deadline: "2026-03-09", status: "issued", occurred_at: "2026-03-02T02:00:00Z" } }];
  const [synced] = noticeList(pulled, [{ ...own[0], state: "applied" }], "2026-03-02");
  assert.equal(synced.number, "2026-0042");
  assert.equal(synced.pending, false);
});

test("a delivery or signature saved on this phone marks its notice before it syncs", () => {
  const own = [
    issue("n1", "applied"),
    { type: "notice.deliver", state: "pending", payload: { id: "d1", notice_id: "n1", method: "door" } },
    { type: "notice.sign", state: "pending", payload: { id: "s1", notice_id: "n1", signature: "b".repeat(64) } },
  ];
  const [n] = noticeList([], own, "2026-03-03");
  assert.equal(n.status, "delivered");
  assert.equal(n.delivery, "door");
  assert.equal(n.signed, true);
});

test("past its deadline an unrectified notice shows overdue; a taken-back one is gone", () => {
  assert.equal(noticeList([], [issue("n1", "applied")], "2026-03-10")[0].shown, "overdue");
  assert.deepEqual(noticeList([], [issue("n1", "withdrawn")], "2026-03-10"), []);
});

test("a re-inspection saved on this phone escalates or closes its notice before it syncs", () => {
  const pulled = [{ id: "n1", data: { number: "2026-0042", rules: ["facade"], deadline: "2026-03-09", status: "delivered", repeat: true, occurred_at: "2026-03-02T02:00:00Z" } }];
  const [before] = noticeList(pulled, [], "2026-03-08");
  assert.equal(before.due, false, "not due before its deadline");
  assert.equal(before.repeat, true);
  const [onDay] = noticeList(pulled, [], "2026-03-09");
  assert.equal(onDay.due, true, "due on its deadline day");
  const failed = { type: "reinspect.result", state: "pending", created_at: 1, payload: { id: "r1", notice_id: "n1", result: "not_rectified" } };
  const [escalated] = noticeList(pulled, [failed], "2026-03-09");
  assert.equal(escalated.shown, "escalated");
  assert.equal(escalated.stopWork, true);
  assert.equal(escalated.due, true, "re-inspected again while the stop-work holds");
  const passed = { type: "reinspect.result", state: "pending", created_at: 2, payload: { id: "r2", notice_id: "n1", result: "rectified" } };
  const [done] = noticeList(pulled, [passed, failed], "2026-03-12");
  assert.equal(done.shown, "rectified");
  assert.equal(done.stopWork, false);
  assert.equal(done.due, false);
});

test("an acceptance is offered while a begun permit has none passed, and no longer after", () => {
  const permit = { id: 7, data: { starts_on: "2026-03-01", ends_on: "2026-04-30" } };
  const upcoming = { id: 8, data: { starts_on: "2026-05-01", ends_on: null } };
  const mine = (id, result, state = "pending") => ({ type: "acceptance.record", state, payload: { id, result } });
  const back = (id, result, permitId) => ({ id, data: { result, permit_id: permitId } });
  assert.equal(acceptanceDue([permit], [], [], "2026-03-10"), true);
  assert.equal(acceptanceDue([upcoming], [], [], "2026-03-10"), false, "not begun");
  assert.equal(acceptanceDue([], [back("a", "passed", 7)], [], "2026-03-10"), false, "permit closed (not pulled)");
  assert.equal(acceptanceDue([permit], [], [mine("a", "passed")], "2026-03-10"), false, "passed here, not synced");
  assert.equal(acceptanceDue([permit], [], [mine("a", "failed")], "2026-03-10"), true, "failed: again later");
  assert.equal(acceptanceDue([permit], [], [mine("a", "passed", "withdrawn")], "2026-03-10"), true);
  assert.equal(acceptanceDue([permit], [back("a", "passed", 7)], [mine("a", "passed", "applied")], "2026-03-10"), false);
  assert.equal(acceptanceDue([permit], [back("b", "passed", 3)], [mine("b", "passed", "applied")], "2026-03-10"), true, "an earlier permit's");
});
