// Scanning key tags one after another: the shared scanner (scanner.js) is started again after
// each read, so a whole cabinet can be scanned without a tap between keys. What each read
// meant ("added", "already in the list", "not a key") is said under the picture.
import { config } from "../../phone/config.js";
import { search, warm } from "../../_finder.js";
import { h } from "../../phone/dom.js";
import { pt } from "../../phone/i18n.js";
import { kt, resolveCode } from "./state.js";
import { syncedFully } from "../../_unknown.js";

const $ = (sel) => document.querySelector(sel);
const PAUSE_MS = 900;

let current = null;

function say(root, text, tone) {
  const node = root.querySelector("[data-scan-said]");
  node.textContent = text;
  node.dataset.tone = tone || "";
}

/**
 * Open the scanner over the page. `onKey(key)` answers {ok, text} for each key read (or
 * typed); `onDone()` runs when the user closes it. `count()` feeds the badge.
 */
export async function openScanner({ title, onKey, onOther, onDone, count }) {
  const root = $("#keys-scanner");
  const view = $("#keys-view");
  const session = { open: true, timer: null };
  current = session;
  root.querySelector("[data-scanner-title]").textContent = title;
  const drawCount = () => {
    root.querySelector("[data-scanner-count]").textContent = kt("scanStatus", { n: count() });
  };
  drawCount();
  say(root, "");
  root.hidden = false;
  view.hidden = true;
  document.body.classList.add("keys-scanning");
  window.scrollTo(0, 0);
  const { startScanner, stopScanner } = await import("../../scanner.js");

  const close = () => {
    if (!session.open) return;
    session.open = false;
    clearTimeout(session.timer);
    stopScanner();
    root.hidden = true;
    view.hidden = false;
    document.body.classList.remove("keys-scanning");
    delete root.dataset.reads;
    if (current === session) current = null;
    onDone();
  };

  const handleCode = async (code) => {
    const answer = await describe(code, onKey, onOther);
    say(root, answer.text, answer.ok ? "ok" : "warn");
    // The green tick names the key; a read that added nothing shows no tick.
    const ok = root.querySelector("[data-scan-ok]");
    if (answer.ok && answer.label) ok.querySelector("[data-scan-code]").textContent = answer.label;
    if (!answer.ok) {
      ok.hidden = true;
      root.classList.remove("is-success");
    }
    root.dataset.reads = String(Number(root.dataset.reads || 0) + 1);
    drawCount();
    if (navigator.vibrate && !answer.ok) navigator.vibrate([40, 60, 40]);
    return answer;
  };

  const start = () => {
    if (!session.open) return;
    startScanner(root, {
      baseUrl: config().baseUrl,
      onCode: async (code) => {
        const answer = await handleCode(code);
        // The next tag: the camera starts again after a moment to move the key away (longer
        // when the same tag is still in view, so it does not beep on and on).
        session.timer = setTimeout(start, answer.again ? 2 * PAUSE_MS : PAUSE_MS);
      },
      onManual: () => {
        close();
        document.querySelector("[data-keys-manual] input")?.focus();
      },
    });
  };
  root.querySelector("[data-scan-done]").onclick = close;
  start();
  return close;
}

/** What a read meant; `found` is the code already resolved (Enter resolves it once). */
async function describe(raw, onKey, onOther, found = null) {
  found ??= await resolveCode(raw);
  if (found.bad) return { ok: false, text: kt("badCode") };
  if (onOther && (found.unknown || found.notKey)) onOther(found);
  // After a complete sync the phone holds every key of the user's estates: no promise then.
  if (found.unknown) return { ok: false, text: kt((await syncedFully()) ? "notOurKey" : "unknownCode", { code: found.code }) };
  if (found.notKey) return { ok: false, text: kt("notKey", { label: found.item.label }) };
  return { label: found.key.label, ...onKey(found.key) };
}

/**
 * The "type the code" line under a scan button: for a worn tag or a camera that fails. A tag
 * too worn to read is found by its key's label too (「3樓 消防門」, 「1502」): the matching keys
 * are offered under the field, and the one a label names is added with Enter.
 */
export function manualEntry(onKey, onAnswer, onOther) {
  const input = h("input", {
    type: "text",
    inputmode: "text",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    maxlength: "40",
    enterkeyhint: "done",
    "aria-label": kt("typeCode"),
    placeholder: kt("typeCode"),
  });
  const list = h("ul", { class: "suggestions keys-suggestions", "data-keys-suggestions": true });
  const form = h(
    "form",
    { class: "keys-manual", "data-keys-manual": true, novalidate: true },
    input,
    h("button", { type: "submit", class: "btn" }, kt("add")),
    list,
  );
  const add = async (raw, found = null) => {
    const answer = await describe(raw, onKey, onOther, found);
    if (answer.ok) {
      input.value = "";
      list.replaceChildren();
    }
    onAnswer(answer);
    return answer;
  };
  let typed = 0;
  const keysLike = async () => {
    const mine = ++typed;
    const found = input.value.trim() ? await search(input.value, 6, { types: ["key"] }).catch(() => []) : [];
    if (mine !== typed) return null;
    list.replaceChildren(
      ...found.map((item) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "suggestion", "data-code": item.code, onclick: () => add(item.code) },
            h("span", {}, item.label),
            h("code", {}, item.short_code ? `${item.short_code.slice(0, 4)}-${item.short_code.slice(4)}` : ""),
          ),
        ),
      ),
    );
    return found;
  };
  // The keys' labels are read into memory when the field is touched, not on the first key.
  input.addEventListener("focus", () => warm().catch(() => {}), { once: true });
  input.addEventListener("input", () => keysLike());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    const raw = input.value;
    const found = await resolveCode(raw);
    if (found.key || found.notKey) return add(raw, found);
    // Not a code: a key's label? One match is added; several are offered to choose from.
    const keys = (await keysLike()) || [];
    if (keys.length === 1) return add(keys[0].code);
    if (keys.length > 1) return onAnswer({ ok: false, text: pt("pickOne") });
    return add(raw, found);
  });
  return form;
}

export function closeScanner() {
  if (current) document.querySelector("#keys-scanner [data-scan-done]")?.click();
}
