// Dates and times on the phone, written by Intl.DateTimeFormat (no hand-made zero padding):
// the short "when" of lists, the ISO-8601 with offset the server wants, a datetime-local
// field's value, and a day's "YYYY-MM-DD". Pure: no DOM, tested with node --test.

const formats = new Map();

/** The named parts of `date` as `options` write them (numbers as strings, e.g. "09"). */
export function partsOf(date, options) {
  const key = JSON.stringify(options);
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { hourCycle: "h23", ...options });
    formats.set(key, f);
  }
  const out = {};
  for (const p of f.formatToParts(date)) if (p.type !== "literal") out[p.type] = p.value;
  // Some engines wrote midnight as "24" under h23 once: 00, as every clock says.
  if (out.hour === "24") out.hour = "00";
  return out;
}

const LOCAL = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3 };
const TWO = new Intl.NumberFormat("en-US", { minimumIntegerDigits: 2, useGrouping: false });

/** "HH:MM" today, else "M/D HH:MM", in the phone's zone; `never` when there is no time. */
export function shortWhen(ms, never = "", now = new Date()) {
  if (!ms) return never;
  const d = new Date(ms);
  const p = partsOf(d, { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const time = `${p.hour}:${p.minute}`;
  return d.toDateString() === now.toDateString() ? time : `${p.month}/${p.day} ${time}`;
}

/** ISO-8601 with milliseconds and the phone's offset (the server wants the offset). */
export function nowWithOffset(date = new Date()) {
  const p = partsOf(date, LOCAL);
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const abs = Math.abs(off);
  return (
    `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}.${p.fractionalSecond}` +
    `${sign}${TWO.format(Math.trunc(abs / 60))}:${TWO.format(abs % 60)}`
  );
}

/** A datetime-local field's value for `date`: "YYYY-MM-DDTHH:MM", the phone's wall clock. */
export function localInput(date) {
  const p = partsOf(date, LOCAL);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** "YYYY-MM-DD" of an instant in a time zone (UTC when none is named). */
export function isoDay(ms, timeZone = "UTC") {
  const p = partsOf(new Date(ms), { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  return `${p.year}-${p.month}-${p.day}`;
}

/** "HH:MM" of an instant in a time zone. */
export function isoTime(ms, timeZone = "UTC") {
  const p = partsOf(new Date(ms), { timeZone, hour: "2-digit", minute: "2-digit" });
  return `${p.hour}:${p.minute}`;
}
