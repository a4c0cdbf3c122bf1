// The phone's decoding, run by node for tests/webapp/labels/test_dirt.py: the scanner's own
// module (static/js/_denoise.js) and its decoder (barcode-detector's zxing-wasm ponyfill, the
// same package and .wasm the app ships), on grey frames the Python test photographed.
//
//   node phone_read.mjs read  FRAMES WIDTH HEIGHT        -> JSON: the texts read on each frame
//   node phone_read.mjs close FRAMES WIDTH HEIGHT OUT    -> OUT: each frame closed with each
//                                                           RETRY_KERNELS size, in that order
// FRAMES holds the frames' grey bytes one after another.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { closing, detectWithRetries, RETRY_KERNELS } from "../../../static/js/_denoise.js";

const [mode, path, w, h, out] = process.argv.slice(2);
const width = Number(w);
const height = Number(h);
const bytes = readFileSync(path);
const size = width * height;
const frames = [];
for (let at = 0; at + size <= bytes.length; at += size) frames.push(bytes.subarray(at, at + size));

if (mode === "close") {
  const parts = [];
  for (const gray of frames) for (const k of RETRY_KERNELS) parts.push(closing(gray, width, height, k));
  writeFileSync(out, Buffer.concat(parts));
  process.stdout.write(JSON.stringify({ kernels: RETRY_KERNELS }));
} else {
  // What a browser has and node lacks, as far as the ponyfill uses it.
  globalThis.ImageData ??= class ImageData {
    constructor(data, w, h) {
      Object.assign(this, { data, width: w, height: h, colorSpace: "srgb" });
    }
  };
  globalThis.DOMRectReadOnly ??= class DOMRectReadOnly {
    constructor(x = 0, y = 0, w = 0, h = 0) {
      Object.assign(this, { x, y, width: w, height: h, top: y, left: x, right: x + w, bottom: y + h });
    }
  };
  const require = createRequire(import.meta.url);
  const { BarcodeDetector, prepareZXingModule } = await import("barcode-detector/ponyfill");
  const wasm = readFileSync(require.resolve("zxing-wasm/reader/zxing_reader.wasm"));
  await prepareZXingModule({ overrides: { wasmBinary: wasm }, fireImmediately: true });
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  const texts = [];
  for (const gray of frames) {
    const rgba = new Uint8ClampedArray(size * 4);
    for (let i = 0, j = 0; i < size; i++, j += 4) {
      rgba[j] = rgba[j + 1] = rgba[j + 2] = gray[i];
      rgba[j + 3] = 255;
    }
    const found = await detectWithRetries(detector, new ImageData(rgba, width, height));
    texts.push(found.map((b) => b.rawValue));
  }
  process.stdout.write(JSON.stringify(texts));
}
