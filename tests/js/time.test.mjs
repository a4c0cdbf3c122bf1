// Dates and times on the phone (static/js/phone/time.js) and the round windows
// (static/js/screens/rounds/time.js), in milliseconds. The Chromium test
// tests/browser/test_rounds.py::test_the_phone_computes_the_same_windows_as_the_server proves
// the windows agree with webapp/rounds/rules.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isoDay, isoTime, localInput, nowWithOffset, shortWhen } from "../../static/js/phone/time.js";
import { addDays, dayOf, hmOf, nextStart, statusIn, windowsStarting, zoned } from "../../static/js/screens/rounds/time.js";

test("an ISO time with the phone's offset reads back as the same instant", () => {
  for (const ms of [Date.UTC(2026, 0, 5, 0, 7, 9, 45), Date.UTC(2026, 6, 1, 23, 59, 59, 999), 0]) {
    const text = nowWithOffset(new Date(ms));
    assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    assert.equal(Date.parse(text), ms);
  }
});

test("a datetime-local value is the phone's wall clock to the minute", () => {
  const d = new Date(2026, 2, 4, 0, 5, 30);
  assert.equal(localInput(d), "2026-03-04T00:05");
  assert.equal(new Date(localInput(d)).getTime(), new Date(2026, 2, 4, 0, 5).getTime());
});

test("the short when: the time today, the date and time another day, a word for never", () => {
  const now = new Date(2026, 11, 5, 15, 0);
  assert.equal(shortWhen(new Date(2026, 11, 5, 9, 3).getTime(), "never", now), "09:03");
  assert.equal(shortWhen(new Date(2026, 10, 30, 0, 0).getTime(), "never", now), "11/30 00:00");
  assert.equal(shortWhen(0, "never", now), "never");
});

test("a day and a time in a zone", () => {
  const ms = Date.UTC(2026, 11, 31, 16, 5); // 00:05 on 1 January in Taipei (UTC+8)
  assert.equal(isoDay(ms, "Asia/Taipei"), "2027-01-01");
  assert.equal(isoTime(ms, "Asia/Taipei"), "00:05");
  assert.equal(isoDay(ms), "2026-12-31");
  assert.equal(dayOf(ms, "Asia/Taipei"), "2027-01-01");
  assert.equal(hmOf(ms, "Asia/Taipei"), "00:05");
  assert.equal(addDays("2026-12-31", 1), "2027-01-01");
  assert.equal(addDays("2026-03-01", -1), "2026-02-28");
});

test("a wall time across a daylight-saving change is the right instant", () => {
  // New York springs forward on 2026-03-08 at 02:00: 01:00 is EST (-5), 04:00 EDT (-4).
  assert.equal(zoned("2026-03-08", "01:00", "America/New_York"), Date.UTC(2026, 2, 8, 6, 0));
  assert.equal(zoned("2026-03-08", "04:00", "America/New_York"), Date.UTC(2026, 2, 8, 8, 0));
});

test("windows: a slot across midnight ends the next day; the next window is tomorrow's", () => {
  const round = { slots: [{ start: "22:00", end: "02:00" }], period_days: 1, anchor: "2026-01-05" };
  const [w] = windowsStarting(round, "2026-11-27", "Asia/Taipei");
  assert.equal(w.start, Date.UTC(2026, 10, 27, 14, 0));
  assert.equal(w.end, Date.UTC(2026, 10, 27, 18, 0));
  assert.equal(nextStart(round, w, "Asia/Taipei"), Date.UTC(2026, 10, 28, 14, 0));
});

test("windows: a round every third day has none on its off days", () => {
  const round = { slots: [{ start: "08:00", end: "18:00" }], period_days: 3, anchor: "2026-01-05" };
  assert.equal(windowsStarting(round, "2026-01-06", "Europe/London").length, 0);
  assert.equal(windowsStarting(round, "2026-01-08", "Europe/London").length, 1);
});

test("a checkpoint's status in a window, as rules.status", () => {
  const window = { start: 1000, end: 2000, next: 3000 };
  assert.equal(statusIn(window, [{ at: 1500, result: "ok" }], 2500), "done");
  assert.equal(statusIn(window, [{ at: 1500, result: "no_access" }], 2500), "no_access");
  assert.equal(statusIn(window, [], 1500), "pending");
  assert.equal(statusIn(window, [{ at: 2500, result: "issue" }], 2600), "late");
  assert.equal(statusIn(window, [{ at: 3500, result: "ok" }], 4000), "missed");
});
