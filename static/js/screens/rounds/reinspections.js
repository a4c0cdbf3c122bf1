// The re-inspections due on the rounds' home (issue 20, item 3): the notices pulled with the
// phone's estates whose deadline is today (or passed, still waiting), and those under a
// stop-work — each a link to its unit's page, where the re-inspection is recorded offline.
import * as store from "../../store.js";
import { h } from "../../phone/dom.js";
import { isoDay } from "../../phone/time.js";
import { rs } from "./ui.js";

const WAITING = new Set(["issued", "delivered"]);

/** The notices to re-inspect on each one's estate's today: [{id, code, label, number, ...}]. */
export async function reinspectionsDue(world) {
  const [notices, journal, outbox] = await Promise.all([
    store.withDB((db) => db.getAllFromIndex("objects", "type", "notice")),
    store.withDB((db) => db.getAll("journal")),
    store.outboxEntries(),
  ]);
  // A re-inspection this phone made and has not had pulled back yet: done for today.
  const done = new Set([...journal, ...outbox].filter((e) => e.type === "reinspect.result" && e.state !== "withdrawn").map((e) => e.payload.notice_id));
  const units = new Map([...world.items.values()].filter((i) => i.type === "unit").map((i) => [i.id, i]));
  const out = [];
  for (const r of notices) {
    const n = r.data;
    const unit = units.get(Number(n.item_id));
    if (!unit || done.has(String(r.id))) continue;
    let today;
    try {
      today = isoDay(Date.now(), world.estates.get(Number(n.estate_id))?.timezone || "UTC");
    } catch {
      today = isoDay(Date.now());
    }
    const due = WAITING.has(n.status) && n.deadline <= today;
    if (!due && n.status !== "escalated") continue;
    out.push({ id: String(r.id), code: unit.code, label: unit.label, number: n.number, deadline: n.deadline, today: n.deadline === today, stopWork: n.status === "escalated" });
  }
  return out.sort((a, b) => a.deadline.localeCompare(b.deadline) || a.label.localeCompare(b.label));
}

/** The card of re-inspections due (null when there are none). */
export function reinspectionCard(due) {
  if (!due.length) return null;
  return h(
    "li",
    { class: "rp-reinspect card", id: "rp-reinspect", "data-count": String(due.length) },
    h("h2", {}, rs("reinspectTitle"), " ", h("span", { class: "muted small" }, String(due.length))),
    h(
      "ul",
      { class: "rp-reinspect-list" },
      due.map((n) =>
        h(
          "li",
          { "data-notice": n.id },
          h("a", { href: `/q/${encodeURIComponent(n.code)}#item-notices` }, n.label),
          " ",
          h("span", { class: "muted small" }, [n.number ? rs("noticeNo", { number: n.number }) : "", n.today ? rs("dueToday") : rs("dueSince", { date: n.deadline })].filter(Boolean).join(" · ")),
          n.stopWork ? h("span", { class: "badge badge-danger" }, rs("stopWork")) : null,
        ),
      ),
    ),
  );
}
