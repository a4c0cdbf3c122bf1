// The phone scripts' words, vocabularies and the page's user (templates/pwa/_phone.html).
let cached = null;

export function phone() {
  if (cached) return cached;
  const node = typeof document !== "undefined" ? document.getElementById("phone-config") : null;
  let data = {};
  try {
    data = node ? JSON.parse(node.textContent) : {};
  } catch {
    data = {};
  }
  cached = {
    user: data.user || null,
    loginUrl: data.loginUrl || "/login",
    scanUrl: data.scanUrl || "/scan",
    vocab: data.vocab || {},
    categories: data.categories || [],
    severities: data.severities || [],
    results: data.results || [],
    holderTypes: data.holderTypes || {},
    s: data.strings || {},
  };
  return cached;
}

/** A phrase with {placeholders} filled in. */
export function pt(key, values = {}) {
  const text = phone().s[key] || key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

export function term(vocab, value) {
  return (phone().vocab[vocab] || {})[value] || value || "";
}

export function pairName(list, value) {
  const found = phone()[list].find(([v]) => v === value);
  return found ? found[1] : value;
}

/** A small element builder: h("p", {class: "x"}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "hidden") el.hidden = Boolean(v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fmtTime(ms) {
  if (!ms) return pt("never");
  const d = new Date(ms);
  const today = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.toDateString() === today.toDateString() ? time : `${d.getMonth() + 1}/${d.getDate()} ${time}`;
}
