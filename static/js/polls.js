// A list that htmx polls (hx-trigger="every …") is not swapped while someone is using it: a
// field with the focus, a box ticked but not yet sent, an open "Refuse…" with its half-written
// reason. That poll is skipped; the next one comes on time. (The check is here, not in an
// hx-trigger filter: filters are eval'd, and the pages' CSP allows no eval.)
document.addEventListener("htmx:beforeRequest", (event) => {
  const root = event.detail.elt;
  if (!(root instanceof Element) || !root.hasAttribute("data-poll-idle")) return;
  const busy =
    root.contains(document.activeElement) ||
    root.querySelector("details[open]") !== null ||
    root.querySelector("input[type=checkbox]:checked") !== null;
  if (busy) event.preventDefault();
});
