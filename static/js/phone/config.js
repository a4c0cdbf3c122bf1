// Settings and words the server puts in the page as JSON data blocks (the CSP runs no inline
// script): one reader for every block, each parsed once. `config()` is the PWA's settings
// (templates/pwa/_head.html #pwa-config), `phone()` the phone scripts' words, vocabularies and
// the page's user (templates/pwa/_phone.html #phone-config).
const blocks = new Map();

/** The JSON data block with this id ({} when the page has none or it does not parse). */
export function dataBlock(id) {
  if (blocks.has(id)) return blocks.get(id);
  const node = typeof document !== "undefined" ? document.getElementById(id) : null;
  let data = {};
  try {
    data = (node && JSON.parse(node.textContent)) || {};
  } catch {
    data = {};
  }
  blocks.set(id, data);
  return data;
}

let pwa = null;

export function config() {
  if (pwa) return pwa;
  const data = dataBlock("pwa-config");
  pwa = {
    baseUrl: data.baseUrl || location.origin,
    itemPath: data.itemPath || "/q/",
    swUrl: data.swUrl || "/sw.js",
    loggedIn: Boolean(data.loggedIn),
    t: data.strings || {},
  };
  return pwa;
}

let cached = null;

export function phone() {
  if (cached) return cached;
  const data = dataBlock("phone-config");
  cached = {
    user: data.user || null,
    loginUrl: data.loginUrl || "/login",
    scanUrl: data.scanUrl || "/scan",
    vocab: data.vocab || {},
    categories: data.categories || [],
    severities: data.severities || [],
    results: data.results || [],
    manualReasons: data.manualReasons || [], // why a check was not scanned (webapp/vocab.py)
    holderTypes: data.holderTypes || {},
    s: data.strings || {},
  };
  return cached;
}
