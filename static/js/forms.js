// On every page, for htmx forms: a 422 answer carries the form again with its errors, so
// swap it in like a success. (Lives in a file because the CSP allows no inline script.)
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
