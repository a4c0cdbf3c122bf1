// The QR scanner, loaded on demand: camera frames scaled down and decoded one at a time by
// the native BarcodeDetector where there is one, else by zxing-wasm (served and precached
// from our own static files). A frame where nothing is read is tried again with dark specks
// closed away (_denoise.js: dirt on a label). Only this deployment's /q/ (/Q/) URLs are followed.
import { t } from "./phone/i18n.js";
import { parseScan } from "./codes.js";
import { detectWithRetries, retryPacer } from "./_denoise.js";

const MAX_SIDE = 720; // decoding a scaled-down frame is faster and still reads a label
const WASM_URL = new URL("./zxing_reader.wasm", import.meta.url).href;

let detectorPromise = null;
let session = null;

/** The detector to use: native where it reads QR codes, else the zxing-wasm ponyfill. */
export function getDetector() {
  detectorPromise ??= (async () => {
    const Native = globalThis.BarcodeDetector;
    if (Native) {
      try {
        const formats = await Native.getSupportedFormats();
        if (formats.includes("qr_code")) return { kind: "native", detector: new Native({ formats: ["qr_code"] }) };
      } catch {
        // fall through to the ponyfill
      }
    }
    const { BarcodeDetector, prepareZXingModule } = await import("barcode-detector/ponyfill");
    await prepareZXingModule({
      overrides: {
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM_URL : prefix + path),
      },
      fireImmediately: true,
    });
    return { kind: "zxing-wasm", detector: new BarcodeDetector({ formats: ["qr_code"] }) };
  })();
  return detectorPromise;
}

/** Decode every QR code in an image, video frame or canvas; returns their texts. */
export async function decodeImage(source) {
  const { detector } = await getDetector();
  const found = await detector.detect(source);
  return found.map((b) => b.rawValue);
}

/**
 * Decode a canvas's pixels, retrying with closed frames when nothing is read (_denoise.js);
 * with a `pacer`, only when it says the retries are due (the live camera).
 */
async function detectFrame(detector, canvas, pacer = null) {
  const frame = canvas.getContext("2d", { willReadFrequently: true }).getImageData(0, 0, canvas.width, canvas.height);
  return detectWithRetries(detector, frame, pacer);
}

function scaledCanvas(canvas, source, width, height, maxSide = MAX_SIDE) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.getContext("2d", { willReadFrequently: true }).drawImage(source, 0, 0, w, h);
  return canvas;
}

let audio = null;
function beep() {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 1046;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.15);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.15);
  } catch {
    // no audio output: the vibration and the green tick still tell
  }
}

function feedback(root, code) {
  if (navigator.vibrate) navigator.vibrate(80);
  beep();
  const ok = root.querySelector("[data-scan-ok]");
  ok.querySelector("[data-scan-code]").textContent = code;
  ok.hidden = false;
  root.classList.add("is-success");
}

function warnForeign(root, text) {
  const box = root.querySelector("[data-scan-foreign]");
  box.querySelector("[data-scan-text]").textContent = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  box.hidden = false;
}

function status(root, message) {
  const node = root.querySelector("[data-scan-status]");
  if (node) node.textContent = message;
}

/** Start the camera and decode until one of our codes is read. */
export async function startScanner(root, { baseUrl, onCode, onManual }) {
  stopScanner();
  const s = { root, running: true, stream: null, track: null, foreignText: null, foreignAt: 0 };
  session = s;
  root.querySelector("[data-scan-ok]").hidden = true;
  root.querySelector("[data-scan-foreign]").hidden = true;
  root.querySelector("[data-scan-denied]").hidden = true;
  root.classList.remove("is-success", "is-denied");
  // Audio may only start from a tap; the tap that opened the scanner unlocks it.
  try {
    audio ??= new AudioContext();
  } catch {
    audio = null;
  }

  // frameAt: when the camera frame the text was read from was taken (Date.now()), or 0.
  const handle = (text, method, frameAt = 0) => {
    const result = parseScan(text, baseUrl);
    if (result.ok) {
      s.running = false;
      feedback(root, result.code);
      stopTracks(s);
      root.dataset.decoded = result.code;
      onCode(result.code, method, frameAt);
      return true;
    }
    const now = performance.now();
    if (text !== s.foreignText || now - s.foreignAt > 3000) {
      s.foreignText = text;
      s.foreignAt = now;
      warnForeign(root, text);
      if (navigator.vibrate) navigator.vibrate([40, 60, 40]);
    }
    return false;
  };

  wirePhoto(root, handle);
  wireManual(root, onManual);
  getDetector().catch(() => status(root, t("decoderFailed")));

  const video = root.querySelector("video");
  status(root, t("starting"));
  try {
    if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error("no camera API"), { name: "NotSupportedError" });
    s.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (error) {
    if (session !== s) return;
    cameraUnavailable(root, error, onManual);
    return;
  }
  if (!s.running) {
    stopTracks(s);
    return;
  }
  s.track = s.stream.getVideoTracks()[0];
  video.srcObject = s.stream;
  await video.play().catch(() => {});
  wireTorch(root, s);
  status(root, t("pointCamera"));
  root.dataset.scanning = "1";
  decodeLoop(s, video, handle);
}

async function decodeLoop(s, video, handle) {
  const canvas = document.createElement("canvas");
  const next = () =>
    new Promise((resolve) =>
      video.requestVideoFrameCallback ? video.requestVideoFrameCallback(() => resolve()) : setTimeout(resolve, 80),
    );
  let detector;
  try {
    ({ detector } = await getDetector());
  } catch {
    return;
  }
  // One decode at a time: the next frame is taken only when this one is done. Dirty-label
  // retries at most every RETRY_REST_MS of plain reads (_denoise.js retryPacer).
  const pacer = retryPacer();
  while (s.running && session === s) {
    if (video.readyState >= 2 && video.videoWidth) {
      const frameAt = Date.now();
      scaledCanvas(canvas, video, video.videoWidth, video.videoHeight);
      let found = [];
      try {
        found = await detectFrame(detector, canvas, pacer);
      } catch {
        found = [];
      }
      for (const barcode of found) {
        if (handle(barcode.rawValue, "scan", frameAt)) return;
      }
    }
    await next();
  }
}

function cameraUnavailable(root, error, onManual) {
  const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
  const box = root.querySelector("[data-scan-denied]");
  box.querySelector("[data-denied-reason]").textContent = denied ? t("cameraDenied") : t("cameraMissing");
  box.hidden = false;
  root.classList.add("is-denied");
  status(root, "");
  if (onManual) onManual();
}

function wireTorch(root, s) {
  const button = root.querySelector("[data-scan-torch]");
  if (!button) return;
  const caps = s.track?.getCapabilities ? s.track.getCapabilities() : {};
  button.hidden = !caps.torch;
  let on = false;
  button.onclick = async () => {
    on = !on;
    try {
      await s.track.applyConstraints({ advanced: [{ torch: on }] });
      button.setAttribute("aria-pressed", String(on));
    } catch {
      on = !on;
    }
  };
}

function wirePhoto(root, handle) {
  const input = root.querySelector("[data-scan-photo]");
  if (!input) return;
  input.onchange = async () => {
    const file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    status(root, t("readingPhoto"));
    try {
      const bitmap = await createImageBitmap(file);
      const canvas = scaledCanvas(document.createElement("canvas"), bitmap, bitmap.width, bitmap.height, 1600);
      let texts = await decodeImage(canvas);
      if (!texts.length) {
        // A dirty label: the retries' squares are sized for the live frames' scale.
        const { detector } = await getDetector();
        const frame = scaledCanvas(document.createElement("canvas"), bitmap, bitmap.width, bitmap.height);
        texts = (await detectFrame(detector, frame)).map((b) => b.rawValue);
      }
      bitmap.close?.();
      if (!texts.length) return status(root, t("noCodeInPhoto"));
      for (const text of texts) if (handle(text, "scan")) return;
      status(root, "");
    } catch {
      status(root, t("noCodeInPhoto"));
    }
  };
}

function wireManual(root, onManual) {
  for (const b of root.querySelectorAll("[data-scan-manual]")) {
    b.onclick = (event) => {
      event.preventDefault();
      stopScanner();
      if (onManual) onManual();
    };
  }
}

function stopTracks(s) {
  if (s.stream) for (const track of s.stream.getTracks()) track.stop();
  s.stream = null;
}

/** Stop the camera and the decode loop. */
export function stopScanner() {
  if (!session) return;
  session.running = false;
  stopTracks(session);
  delete session.root.dataset.scanning;
  session = null;
}
