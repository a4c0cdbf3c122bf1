// The shell's "type the code" field (/app, /scan): a code typed from the label (long, or short
// with its check character), or — the label damaged — words of the item's address, looked up
// in the phone's store with type-ahead (_finder.js). What the phone cannot find is told for
// what it is (_unknown.js), never as a promise that a sync will bring it.
import { t } from "../../phone/i18n.js";
import { pt } from "../../phone/i18n.js";
import { unknownText } from "../../_unknown.js";
import { isLongCode, normalize, SHORT_MAX, shortCodeValid } from "../../codes.js";
import { findByShortCode, hasItemSource, suggest, warm } from "../../items.js";

const $ = (id) => document.getElementById(id);

/**
 * Wire the manual field; `openItem(code, method)` opens an item — method "typed" for a code
 * typed from the label (long, or short with its check character), "manual" for an item picked
 * from the suggestions or found by its address (API.md check.record `method`).
 */
export function manualEntry(openItem) {
  const form = $("manual-form");
  if (!form) return;
  const input = $("manual-code");
  const error = $("manual-error");
  const list = $("manual-suggestions");
  const empty = $("manual-empty");
  const say = (message) => {
    error.textContent = message;
    error.hidden = !message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
  };

  const draw = (items) => {
    list.replaceChildren(
      ...items.map((item) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "suggestion";
        button.dataset.code = item.code;
        const label = document.createElement("span");
        label.textContent = item.label;
        const code = document.createElement("code");
        code.textContent = item.short_code ? `${item.short_code.slice(0, 4)}-${item.short_code.slice(4)}` : "";
        button.append(label, code);
        button.addEventListener("click", () => openItem(item.code, "manual"));
        li.append(button);
        return li;
      }),
    );
    form.dataset.suggestions = String(items.length);
  };

  // The store's items are read into memory when the field is first touched.
  input.addEventListener("focus", () => {
    if (hasItemSource()) warm().catch(() => {});
  }, { once: true });

  let typed = 0;
  const lookUp = async () => {
    const mine = ++typed;
    const text = input.value;
    empty.hidden = hasItemSource() || !normalize(text);
    const items = hasItemSource() ? await suggest(text).catch(() => []) : [];
    if (mine !== typed) return null; // a later keystroke has already answered
    draw(items);
    return items;
  };
  input.addEventListener("input", () => {
    say("");
    lookUp();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value;
    const code = normalize(text);
    if (!code) return say(t("enterCode"));
    if (isLongCode(code)) return openItem(code, "typed");
    const shortValid = code.length <= SHORT_MAX && shortCodeValid(code);
    if (shortValid) {
      const item = await findByShortCode(code).catch(() => null);
      // A replaced label's code opens its item with the notice that it was replaced.
      if (item) return openItem(item.retired?.code || item.code, "typed");
    }
    // Not a code the phone knows: the words of an address?
    const items = (await lookUp()) || [];
    if (items.length === 1) return openItem(items[0].code, "manual");
    if (items.length > 1) return say(pt("pickOne"));
    if (shortValid) return say(await unknownText(code, "short"));
    if (/^[0-9A-Z]{2,8}$/.test(code) && !hasItemSource()) return say(t("badCheck"));
    if (/^[0-9A-Z]{2,8}$/.test(code)) return say(pt("badCheckOrAddress"));
    return say(hasItemSource() ? pt("nothingFound", { text: text.trim() }) : t("badCheck"));
  });
}
