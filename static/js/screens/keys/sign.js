// The owner's signature, drawn with a finger (or a stylus, or a mouse) on a <canvas> through
// pointer events, kept as a PNG photo: {sha256, mime, data (ArrayBuffer), width, height}.
import { sha256Hex } from "../../phone/photo.js";
import { h } from "../../phone/dom.js";

const HEIGHT = 200; // CSS pixels: room for a signature with a thumb

export function signaturePad({ label, hint, clearText }) {
  const canvas = h("canvas", { class: "keys-sign-canvas", "aria-label": label, role: "img", "data-signature": true });
  const clear = h("button", { type: "button", class: "btn keys-sign-clear" }, clearText);
  const placeholder = h("span", { class: "keys-sign-hint", "aria-hidden": "true" }, hint);
  const box = h("div", { class: "keys-sign-box" }, canvas, placeholder);
  const wrap = h("div", { class: "keys-sign" }, h("div", { class: "keys-sign-head" }, h("strong", {}, label), clear), box);
  let strokes = 0;
  let drawing = null;
  let ctx = null;
  let ratio = 1;

  function size() {
    const width = Math.max(240, Math.round(box.clientWidth || 320));
    ratio = Math.min(3, window.devicePixelRatio || 1);
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(HEIGHT * ratio);
    ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = 2.6;
    ctx.strokeStyle = "#10242b";
    strokes = 0;
    wrap.dataset.strokes = "0";
    placeholder.hidden = false;
  }

  const point = (event) => {
    const rect = canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  };

  canvas.addEventListener("pointerdown", (event) => {
    if (!ctx) size();
    event.preventDefault();
    canvas.setPointerCapture?.(event.pointerId);
    const p = point(event);
    drawing = { id: event.pointerId, last: p, end: p, moved: false };
    placeholder.hidden = true;
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing || event.pointerId !== drawing.id) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    // Smoothed: a curve through the midpoints, each segment starting where the last ended.
    ctx.beginPath();
    ctx.moveTo(drawing.end.x, drawing.end.y);
    for (const e of events.length ? events : [event]) {
      const p = point(e);
      const mid = { x: (drawing.last.x + p.x) / 2, y: (drawing.last.y + p.y) / 2 };
      ctx.quadraticCurveTo(drawing.last.x, drawing.last.y, mid.x, mid.y);
      drawing.last = p;
      drawing.end = mid;
    }
    ctx.stroke();
    drawing.moved = true;
  });
  const end = (event) => {
    if (!drawing || event.pointerId !== drawing.id) return;
    ctx.beginPath();
    ctx.moveTo(drawing.end.x, drawing.end.y);
    // The last bit of the line, or a dot for a tap.
    ctx.lineTo(drawing.last.x + (drawing.moved ? 0 : 0.1), drawing.last.y + (drawing.moved ? 0 : 0.1));
    ctx.stroke();
    drawing = null;
    strokes++;
    wrap.dataset.strokes = String(strokes);
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  clear.addEventListener("click", size);

  return {
    element: wrap,
    /** Size the canvas to its box (call once it is on the page). */
    ready() {
      size();
    },
    isEmpty: () => strokes === 0,
    reset: size,
    /** The drawing as a PNG photo on white, the way the outbox keeps photos. */
    async toPhoto() {
      const out = document.createElement("canvas");
      out.width = canvas.width;
      out.height = canvas.height;
      const c = out.getContext("2d");
      c.fillStyle = "#ffffff";
      c.fillRect(0, 0, out.width, out.height);
      c.drawImage(canvas, 0, 0);
      const blob = await new Promise((resolve, reject) =>
        out.toBlob((b) => (b ? resolve(b) : reject(new Error("no png"))), "image/png"),
      );
      const data = await blob.arrayBuffer();
      return {
        sha256: await sha256Hex(data),
        mime: "image/png",
        data,
        width: out.width,
        height: out.height,
        size: data.byteLength,
        uploaded: false,
        created_at: Date.now(),
      };
    },
  };
}
