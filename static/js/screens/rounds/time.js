// Round windows on the phone, in the estate's timezone: the same rules as webapp/rounds/rules.py
// (windows_starting, next_start, status), so the phone's progress agrees with the coverage
// report. Days are "YYYY-MM-DD" strings; instants are epoch milliseconds.
import { isoDay, isoTime } from "../../phone/time.js";

const formats = new Map();

function formatter(tz) {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formats.set(tz, f);
  }
  return f;
}

/** The wall clock of an instant in a zone: {y, m, d, hh, mm, ss}. */
export function wall(ms, tz) {
  const out = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) {
    if (p.type !== "literal") out[p.type] = Number(p.value);
  }
  return { y: out.year, m: out.month, d: out.day, hh: out.hour % 24, mm: out.minute, ss: out.second };
}

function offsetAt(ms, tz) {
  const w = wall(ms, tz);
  return Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mm, w.ss) - Math.floor(ms / 1000) * 1000;
}

/** The estate's date of an instant, "YYYY-MM-DD". */
export function dayOf(ms, tz) {
  return isoDay(ms, tz);
}

/** "HH:MM" of an instant in the zone. */
export function hmOf(ms, tz) {
  return isoTime(ms, tz);
}

export function addDays(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  return isoDay(Date.UTC(y, m - 1, d + n), "UTC");
}

function daysBetween(a, b) {
  const [ay, am, ad] = a.split("-").map(Number);
  const [by, bm, bd] = b.split("-").map(Number);
  return Math.round((Date.UTC(by, bm - 1, bd) - Date.UTC(ay, am - 1, ad)) / 86_400_000);
}

/** The instant of a wall time on a day in a zone (DST-safe: the offset is checked twice). */
export function zoned(day, hm, tz) {
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = hm.split(":").map(Number);
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  let at = guess - offsetAt(guess, tz);
  const again = guess - offsetAt(at, tz);
  if (again !== at) at = again;
  return at;
}

function runsOn(round, day) {
  const period = Math.max(1, round.period_days || 1);
  const n = daysBetween(round.anchor || "2026-01-01", day);
  return ((n % period) + period) % period === 0;
}

/** The windows of a round that start on a day (estate time), in start order. */
export function windowsStarting(round, day, tz) {
  if (!runsOn(round, day)) return [];
  const out = [];
  for (const slot of round.slots || []) {
    const extra = Number(slot.days || 0);
    let endDay = addDays(day, extra);
    if (extra === 0 && slot.end <= slot.start) endDay = addDays(endDay, 1); // crosses midnight
    out.push({ start: zoned(day, slot.start, tz), end: zoned(endDay, slot.end, tz) });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** When the round's next window after this one opens. */
export function nextStart(round, window, tz) {
  const day = dayOf(window.start, tz);
  const period = Math.max(1, round.period_days || 1);
  for (let offset = 0; offset < period * 2 + 2; offset++) {
    for (const w of windowsStarting(round, addDays(day, offset), tz)) {
      if (w.start > window.start) return w.start;
    }
  }
  return window.end;
}

/**
 * Where a round stands now: the latest window that has started (open or closed) and the
 * next one to open. {current: {start, end, next} | null, upcoming: {start, end} | null}.
 */
export function roundNow(round, tz, now = Date.now()) {
  const today = dayOf(now, tz);
  const longest = Math.max(0, ...(round.slots || []).map((s) => Number(s.days || 0)));
  const back = longest + Math.max(1, round.period_days || 1) + 1;
  let current = null;
  let upcoming = null;
  for (let offset = -back; offset <= Math.max(1, round.period_days || 1) + 1; offset++) {
    for (const w of windowsStarting(round, addDays(today, offset), tz)) {
      if (w.start <= now) {
        if (!current || w.start > current.start) current = w;
      } else if (!upcoming || w.start < upcoming.start) {
        upcoming = w;
      }
    }
  }
  if (current) current = { ...current, next: nextStart(round, current, tz) };
  return { current, upcoming };
}

/** A checkpoint's status in a window, as rules.status (seen: [{at, result}]). */
export function statusIn(window, seen, now = Date.now()) {
  const inside = seen.filter((s) => window.start <= s.at && s.at < window.end);
  if (inside.some((s) => s.result !== "no_access")) return "done";
  if (inside.length) return "no_access";
  if (now < window.end) return "pending";
  const next = window.next ?? window.end;
  if (seen.some((s) => window.end <= s.at && s.at < next && s.result !== "no_access")) return "late";
  return "missed";
}
