// What to tell when the phone does not hold a code. Before the phone has finished copying the
// user's estates, "not here yet; the next sync brings it" is true. After a complete sync it is
// not: the store holds every active label of the user's estates, so the code is not one of
// them — another estate's label, a label since replaced (retired), or no Rounds label at all.
// Say that, and offer what works: typing the short code, or searching by the address.
import { h } from "./phone/dom.js";
import { pt } from "./phone/i18n.js";
import * as store from "./store.js";

/** Whether the phone holds a complete copy of the user's estates (a pull ran to its end). */
export async function syncedFully() {
  try {
    const m = await store.getMetas(["last_pull_at", "last_sync_at", "snapshotting"]);
    return Boolean((m.last_pull_at || m.last_sync_at) && !m.snapshotting);
  } catch {
    return false;
  }
}

/** One sentence on an unknown code; `how` is "short" (typed) or "label" (scanned, long code). */
export async function unknownText(code, how = "label") {
  if (!(await syncedFully())) return pt(how === "short" ? "notYetShort" : "notYetLabel", { code });
  return pt(how === "short" ? "notYoursShort" : "notYoursLabel", { code });
}

/**
 * Explain an unknown label in `box` (the shell's notice when /q/<code> is not on the phone):
 * what is true, and a button to the manual field (type the code, or search by address).
 */
export async function explainUnknown(box, code) {
  const synced = await syncedFully();
  const manual = document.getElementById("manual-code");
  box.replaceChildren(
    h("strong", { class: "unknown-title" }, synced ? pt("notYoursTitle") : pt("notYetTitle")),
    " ",
    await unknownText(code, "label"),
    manual
      ? h(
          "a",
          {
            class: "btn btn-primary btn-block unknown-manual",
            href: "#manual",
            "data-unknown-manual": true,
            onclick: (event) => {
              event.preventDefault();
              manual.scrollIntoView({ block: "center" });
              manual.focus();
            },
          },
          pt("typeOrSearch"),
        )
      : null,
  );
  box.dataset.unknown = synced ? "not-yours" : "not-yet";
  box.hidden = false;
}
