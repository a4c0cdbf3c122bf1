// A unit's renovation on the phone, as rules with no DOM (tested with node --test): which of
// its pulled permits to show and in what state, its working hours as words, and its
// rectification notices — the server's copies merged with this phone's own entries, so a
// notice issued offline shows at once, without its number until the server gives it one.

/** A permit's state on `today` ("YYYY-MM-DD"), as the server's RenovationPermit.state. */
export function permitState(permit, today) {
  if (permit.starts_on > today) return "upcoming";
  if (permit.ends_on && permit.ends_on < today) return "overrun";
  return "active";
}

/** The unit's pulled permits worth showing (every open one), begun ones first, by start. */
export function shownPermits(permits, today) {
  return permits
    .map((p) => ({ ...p, state: permitState(p, today) }))
    .sort((a, b) => (a.state === "upcoming") - (b.state === "upcoming") || a.starts_on.localeCompare(b.starts_on));
}

/**
 * Whether a completion acceptance can be started on the unit: one of its open permits has
 * begun and no passed acceptance is known for it — a pulled one naming that permit, or this
 * phone's own not yet pulled back (the server files it under the unit's open permit). A
 * closed permit is not pulled (a tombstone): a unit whose renovation is accepted offers no
 * second acceptance. `permits`, `pulled`: [{id, data}] of type permit / acceptance; `own`:
 * this phone's outbox and journal entries.
 */
export function acceptanceDue(permits, pulled, own, today) {
  const begun = permits.filter((r) => permitState(r.data, today) !== "upcoming");
  if (!begun.length) return false;
  const back = new Set(pulled.map((r) => String(r.id)));
  const passedHere = own.some((e) => e.type === "acceptance.record" && e.state !== "withdrawn" && e.payload.result === "passed" && !back.has(String(e.payload.id)));
  if (passedHere) return false;
  const passed = new Set(pulled.filter((r) => r.data.result === "passed").map((r) => String(r.data.permit_id)));
  return begun.some((r) => !passed.has(String(r.id)));
}

/** Working hours as written on the permit: "08:00–12:00、14:00–18:00" ("" for none), listed
 * with the page's separator (", " on an English page). */
export function hoursText(hours, sep = "、") {
  return (hours || []).map((s) => `${s.start}–${s.end}`).join(sep);
}

/** The day `n` days after `day` ("YYYY-MM-DD"), on the calendar (no time zone involved). */
export function addDays(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return t.toISOString().slice(0, 10);
}

const OPEN = new Set(["pending", "rejected"]);

/**
 * The unit's notices, newest first: each the server's copy (its number, status, delivery)
 * when pulled, else this phone's `notice.issue` entry with `number: null` ("number on sync").
 * This phone's deliveries and signatures not yet pulled back mark their notice too.
 * `pulled`: [{id, data}] of type notice; `own`: this phone's outbox and journal entries.
 */
export function noticeList(pulled, own, today) {
  const byId = new Map();
  for (const r of pulled) {
    const d = r.data;
    byId.set(r.id, {
      id: r.id,
      number: d.number || null,
      rules: d.rules || [],
      deadline: d.deadline,
      note: d.note || "",
      status: d.status,
      delivery: d.delivery_method || null,
      signed: Boolean(d.signed_at),
      photos: d.photos || [],
      occurred_at: d.occurred_at,
      pending: false,
      repeat: Boolean(d.repeat),
      stopWork: Boolean(d.stop_work),
    });
  }
  const live = own.filter((e) => e.state !== "withdrawn");
  for (const e of live) {
    if (e.type !== "notice.issue" || byId.has(e.payload.id)) continue;
    const p = e.payload;
    byId.set(p.id, {
      id: p.id,
      number: null,
      rules: p.rules,
      deadline: p.deadline,
      note: p.note || "",
      status: "issued",
      delivery: null,
      signed: false,
      photos: p.photos || [],
      occurred_at: e.occurred_at,
      pending: OPEN.has(e.state),
      refused: e.state === "rejected",
      repeat: false,
      stopWork: false,
    });
  }
  for (const e of live) {
    const n = byId.get(e.payload?.notice_id);
    if (!n) continue;
    if (e.type === "notice.deliver") {
      n.delivery = n.delivery || e.payload.method;
      if (n.status === "issued") n.status = "delivered";
    } else if (e.type === "notice.sign" || (e.type === "signature.capture" && e.payload.subject === "notice")) {
      n.signed = true;
    }
  }
  // This phone's re-inspections not yet pulled back, in the order they were made.
  const reinspections = live.filter((e) => e.type === "reinspect.result").sort((a, b) => (a.created_at || 0) - (b.created_at || 0));
  for (const e of reinspections) {
    const n = byId.get(e.payload.notice_id);
    if (!n || n.status === "rectified") continue;
    if (e.payload.result === "rectified") {
      n.status = "rectified";
      n.stopWork = false;
    } else {
      n.status = "escalated";
      n.stopWork = true;
    }
  }
  const out = [...byId.values()].map((n) => ({
    ...n,
    shown: (n.status === "issued" || n.status === "delivered") && n.deadline < today ? "overdue" : n.status,
    // Re-inspected on its deadline (or after it), and again while a stop-work holds.
    due: n.status !== "rectified" && (n.deadline <= today || n.status === "escalated"),
  }));
  return out.sort((a, b) => (Date.parse(b.occurred_at) || 0) - (Date.parse(a.occurred_at) || 0));
}
