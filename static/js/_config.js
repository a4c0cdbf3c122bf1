// Settings and words the server puts in the page (templates/pwa/_head.html): no inline script.
let cached = null;

export function config() {
  if (cached) return cached;
  const node = document.getElementById("pwa-config");
  let data = {};
  try {
    data = node ? JSON.parse(node.textContent) : {};
  } catch {
    data = {};
  }
  cached = {
    baseUrl: data.baseUrl || location.origin,
    itemPath: data.itemPath || "/q/",
    swUrl: data.swUrl || "/sw.js",
    loggedIn: Boolean(data.loggedIn),
    t: data.strings || {},
  };
  return cached;
}

export function t(key) {
  return config().t[key] || key;
}
