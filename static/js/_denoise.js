// Dirty labels: when the decoder reads nothing on a camera frame, it tries the frame again
// with dark specks closed away. Dots of dirt on a finder pattern break the 1:1:3:1:1 runs the
// decoder looks for; a greyscale closing (the largest value in a size x size square, then the
// smallest) removes dark marks narrower than the square and leaves the code's modules, which
// are wider. docs/labels.md has the measurements; tests/webapp/labels/test_dirt.py photographs
// dirty labels and decodes them the way this module does (and proves its closing is this one).
// Pure functions on pixel arrays: scanner.js feeds them camera frames, node --test tests them.

/** Square sizes tried, in order, after the frame as it is (pixels of the 720 px frame). */
export const RETRY_KERNELS = [5, 7];

/**
 * The live camera's plain reads between two frames' retries (ms). A frame's retries cost ten
 * plain reads (two closings and two more decodes: 270 ms against 25 ms for a 720 x 405 frame
 * with nothing on it, zxing-wasm under node on the shared test host); retrying every empty
 * frame would leave a phone aimed at the next label reading a frame or two a second. A dirty
 * label held in view is still retried within half a second.
 */
export const RETRY_REST_MS = 500;

/** The luminance of RGBA pixels, as zxing computes it (a grey pixel keeps its value). */
export function luminance(rgba, width, height) {
  const out = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += 4) {
    out[i] = (306 * rgba[j] + 601 * rgba[j + 1] + 117 * rgba[j + 2] + 0x200) >> 10;
  }
  return out;
}

// The largest (or smallest) value within r pixels along each row, then along each column,
// the edge pixel standing in for those past the edge (as Pillow does): a (2r+1)-square max.
// Columns are done row by row, so memory is read in order.
function squarePass(src, width, height, r, max) {
  const rows = new Uint8Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const lo = x - r < 0 ? row : row + x - r;
      const hi = x + r >= width ? row + width - 1 : row + x + r;
      let best = src[lo];
      if (max) {
        for (let i = lo + 1; i <= hi; i++) if (src[i] > best) best = src[i];
      } else {
        for (let i = lo + 1; i <= hi; i++) if (src[i] < best) best = src[i];
      }
      rows[row + x] = best;
    }
  }
  const out = new Uint8Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const first = y - r < 0 ? 0 : y - r;
    const last = y + r >= height ? height - 1 : y + r;
    out.set(rows.subarray(first * width, first * width + width), row);
    for (let k = first + 1; k <= last; k++) {
      const other = k * width;
      if (max) {
        for (let x = 0; x < width; x++) if (rows[other + x] > out[row + x]) out[row + x] = rows[other + x];
      } else {
        for (let x = 0; x < width; x++) if (rows[other + x] < out[row + x]) out[row + x] = rows[other + x];
      }
    }
  }
  return out;
}

/** Greyscale closing with a size x size square (size odd): dark marks narrower than it go. */
export function closing(gray, width, height, size) {
  const r = size >> 1;
  return squarePass(squarePass(gray, width, height, r, true), width, height, r, false);
}

/** Grey values as an RGBA ImageData a BarcodeDetector takes. */
function greyFrame(gray, width, height) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < gray.length; i++, j += 4) {
    rgba[j] = rgba[j + 1] = rgba[j + 2] = gray[i];
    rgba[j + 3] = 255;
  }
  return new ImageData(rgba, width, height);
}

/**
 * The live scanner's pace for retries: `due()` once `restMs` have passed since the last
 * retries ended (at once the first time), `rested()` when retries end. Measured from their
 * end, so a slow phone too spends most of its time on plain reads.
 */
export function retryPacer(restMs = RETRY_REST_MS, clock = () => Date.now()) {
  let until = -Infinity;
  return {
    due: () => clock() >= until,
    rested: () => {
      until = clock() + restMs;
    },
  };
}

/**
 * Detect the codes on a frame (an ImageData); when there are none, on the frame closed with
 * each of RETRY_KERNELS in turn, stopping at the first that gives any. With a `pacer`
 * (retryPacer) the retries run only when it says they are due.
 */
export async function detectWithRetries(detector, frame, pacer = null) {
  const found = await detector.detect(frame);
  if (found.length || (pacer && !pacer.due())) return found;
  try {
    const { width, height } = frame;
    const gray = luminance(frame.data, width, height);
    for (const size of RETRY_KERNELS) {
      const again = await detector.detect(greyFrame(closing(gray, width, height, size), width, height));
      if (again.length) return again;
    }
    return [];
  } finally {
    pacer?.rested();
  }
}
