// What kind of device and app the page runs in: iOS (where only the Home Screen app keeps its
// storage and gets notifications), and whether the page is the installed app.

export function isIos() {
  return (
    /iphone|ipad|ipod/i.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1)
  );
}

export function standalone() {
  return matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
}
