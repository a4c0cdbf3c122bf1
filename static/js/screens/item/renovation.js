// A unit's renovation on its page, from the phone's store (so offline too): the permit it is
// under — number, contractor and their phone, allowed working hours, approved scope, end —
// words from #phone-renovation-config (templates/pwa/_phone.html).
import { dataBlock } from "../../phone/config.js";
import { h } from "../../phone/dom.js";
import { fill } from "../../phone/i18n.js";
import { isoDay } from "../../phone/time.js";
import * as store from "../../store.js";
import { hoursText, shownPermits } from "./permits.js";

let words = null;
/** The renovation words and vocabularies of the page. */
export function rw() {
  if (words) return words;
  words = { s: {}, vocab: {}, ...dataBlock("phone-renovation-config") };
  return words;
}
export function rt(key, values = {}) {
  return fill(rw().s[key] || key, values);
}
export function rterm(vocab, value) {
  return (rw().vocab[vocab] || {})[value] || value || "";
}

/** Today on the estate's calendar ("YYYY-MM-DD"). */
export async function estateToday(item) {
  const estate = item.data?.estate_id ? await store.objectOf("estate", item.data.estate_id) : null;
  try {
    return isoDay(Date.now(), estate?.timezone || "UTC");
  } catch {
    return isoDay(Date.now());
  }
}

const TONE = { active: "badge-warn", overrun: "badge-danger", upcoming: "badge-info" };

function permitCard(p) {
  const rows = [
    [rt("contractor"), p.contractor ? [p.contractor, " ", p.contractor_phone ? h("a", { href: `tel:${p.contractor_phone.replace(/[^0-9+]/g, "")}`, class: "permit-phone" }, p.contractor_phone) : null] : "—"],
    [rt("hours"), hoursText(p.hours) || "—"],
    [rt("scope"), p.scope || "—"],
    [rt("period"), `${p.starts_on} – ${p.ends_on || "—"}`],
  ];
  return h(
    "div",
    { class: "permit", "data-permit": p.number, "data-state": p.state },
    h("p", { class: "permit-head" }, h("strong", {}, rt("permitNo", { number: p.number })), " ", h("span", { class: `badge ${TONE[p.state] || ""}` }, rterm("permit_state", p.state))),
    h("dl", { class: "item-dl" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
  );
}

/** The unit's permits as a card (null when it has none open). */
export async function permitSection(item) {
  if (item.type !== "unit") return null;
  const [permits, today] = await Promise.all([store.attachedTo(`unit:${item.id}`, "permit"), estateToday(item)]);
  if (!permits.length) return null;
  const shown = shownPermits(
    permits.map((r) => r.data),
    today,
  );
  return h("section", { class: "card item-permit", id: "item-permit", "aria-labelledby": "item-permit-title" }, h("h2", { id: "item-permit-title" }, rt("permitTitle")), shown.map(permitCard));
}
