// The scanner's retry for dirty labels (static/js/_denoise.js). tests/webapp/labels/test_dirt.py
// proves the closing is Pillow's pixel for pixel and that the retries read dirty labels.
import assert from "node:assert/strict";
import { test } from "node:test";
import { closing, detectWithRetries, luminance, RETRY_KERNELS, RETRY_REST_MS, retryPacer } from "../../static/js/_denoise.js";

globalThis.ImageData ??= class ImageData {
  constructor(data, width, height) {
    Object.assign(this, { data, width, height });
  }
};

function square(width, height, paper, marks) {
  const gray = new Uint8Array(width * height).fill(paper);
  for (const [x0, y0, size, ink] of marks) {
    for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) gray[y * width + x] = ink;
  }
  return gray;
}

test("closing takes dark specks narrower than the square and keeps wider modules", () => {
  const w = 40;
  const h = 30;
  // A 3 px speck, a 4 px speck, and an 8 px module (a code's module at 240 px is ~7 px).
  const gray = square(w, h, 200, [[2, 2, 3, 20], [12, 2, 4, 20], [20, 10, 8, 20]]);
  const five = closing(gray, w, h, 5);
  assert.equal(five[3 * w + 3], 200, "3 px speck gone");
  assert.equal(five[3 * w + 13], 200, "4 px speck gone");
  for (let y = 10; y < 18; y++) for (let x = 20; x < 28; x++) assert.equal(five[y * w + x], 20, `module at ${x},${y}`);
  assert.equal(five[9 * w + 20], 200, "nothing grows");
  // A 7 px square closes specks up to 6 px; the module, 8 px, stays.
  const seven = closing(square(w, h, 200, [[2, 2, 6, 20], [20, 10, 8, 20]]), w, h, 7);
  assert.equal(seven[4 * w + 4], 200);
  assert.equal(seven[13 * w + 23], 20);
});

test("closing repeats the edge pixel past the edge, as Pillow does", () => {
  // A 4 px dark band goes under a 5 px square in the middle, but not at the edge, where the
  // edge pixels stand in for those past it (white past the edge would take it).
  const w = 16;
  const h = 6;
  const gray = square(w, h, 200, []);
  for (let y = 0; y < h; y++) for (const x of [0, 1, 2, 3, 8, 9, 10, 11]) gray[y * w + x] = 30;
  const out = closing(gray, w, h, 5);
  assert.deepEqual([...out.subarray(2 * w, 3 * w)], [30, 30, 30, 30, ...new Array(12).fill(200)]);
});

test("luminance is zxing's: grey keeps its value, colours weigh 306:601:117", () => {
  const rgba = new Uint8ClampedArray([77, 77, 77, 255, 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]);
  assert.deepEqual([...luminance(rgba, 4, 1)], [77, 76, 150, 29]);
});

test("retries come only when nothing is read, in RETRY_KERNELS order, until one reads", async () => {
  const w = 12;
  const h = 12;
  const rgba = new Uint8ClampedArray(w * h * 4).fill(255);
  rgba[4 * (6 * w + 6)] = rgba[4 * (6 * w + 6) + 1] = rgba[4 * (6 * w + 6) + 2] = 0; // a speck
  const calls = [];
  const detector = (answers) => ({
    async detect(frame) {
      calls.push(frame);
      return answers.shift() ?? [];
    },
  });
  const frame = new ImageData(rgba, w, h);
  assert.deepEqual(await detectWithRetries(detector([[{ rawValue: "A" }]]), frame), [{ rawValue: "A" }]);
  assert.equal(calls.length, 1);
  calls.length = 0;
  assert.deepEqual(await detectWithRetries(detector([[], [], [{ rawValue: "B" }]]), frame), [{ rawValue: "B" }]);
  assert.equal(calls.length, 1 + RETRY_KERNELS.length);
  // The retries see the closed frame: the speck is gone.
  assert.equal(calls[1].data[4 * (6 * w + 6)], 255);
  calls.length = 0;
  assert.deepEqual(await detectWithRetries(detector([]), frame), []);
  assert.equal(calls.length, 1 + RETRY_KERNELS.length);
});

test("the live camera's retries wait RETRY_REST_MS of plain reads after the last ones end", async () => {
  const frame = new ImageData(new Uint8ClampedArray(8 * 8 * 4).fill(255), 8, 8);
  let now = 1000;
  let calls = 0;
  const detector = {
    async detect() {
      calls++;
      now += 10; // every decode takes 10 ms
      return [];
    },
  };
  const pacer = retryPacer(RETRY_REST_MS, () => now);
  const reads = async () => {
    calls = 0;
    await detectWithRetries(detector, frame, pacer);
    return calls;
  };
  assert.equal(await reads(), 1 + RETRY_KERNELS.length, "the first empty frame is retried");
  const rested = now;
  let plain = 0;
  // (Due is asked once the plain read is done: 10 ms on.)
  while (now + 10 < rested + RETRY_REST_MS) {
    assert.equal(await reads(), 1, `a plain read only, ${now - rested} ms after the retries`);
    plain++;
  }
  assert.ok(plain >= RETRY_REST_MS / 10 - 1);
  assert.equal(await reads(), 1 + RETRY_KERNELS.length, "then retried again");
  // A frame that reads is never retried, and does not spend the pacer's turn.
  const reading = { async detect() { return [{ rawValue: "A" }]; } };
  now += RETRY_REST_MS;
  assert.deepEqual(await detectWithRetries(reading, frame, pacer), [{ rawValue: "A" }]);
  assert.equal(pacer.due(), true);
});
