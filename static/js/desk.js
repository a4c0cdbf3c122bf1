// The front desk's signed forms — an item's collection, an owner key's issue (/keys/owner/):
// the collector or the owner signs on a <canvas> (the same pad the phone's owner issue uses),
// and the drawing travels with the form as a PNG file. An empty pad is not sent.
import { signaturePad } from "./screens/keys/sign.js";

function mount(form) {
  const box = form.querySelector("[data-desk-signature]");
  const file = form.querySelector("[data-desk-signature-file]");
  if (!box || !file || typeof DataTransfer === "undefined") return;
  const pad = signaturePad({ label: box.dataset.label, hint: box.dataset.hint, clearText: box.dataset.clear });
  const said = document.createElement("p");
  said.className = "field-error";
  said.hidden = true;
  said.setAttribute("role", "alert");
  box.replaceChildren(pad.element, said);
  pad.ready();
  let ready = false;
  form.addEventListener("submit", async (event) => {
    if (ready) return;
    event.preventDefault();
    if (pad.isEmpty()) {
      said.textContent = box.dataset.empty;
      said.hidden = false;
      return;
    }
    said.hidden = true;
    const photo = await pad.toPhoto();
    const moved = new DataTransfer();
    moved.items.add(new File([photo.data], "signature.png", { type: "image/png" }));
    file.files = moved.files;
    ready = true;
    form.querySelector("[type=submit]")?.setAttribute("disabled", "");
    form.submit();
  });
}

for (const form of document.querySelectorAll("[data-desk-collect], [data-desk-signed]")) mount(form);
