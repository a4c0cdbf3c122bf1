// Key custody on the phone (static/js/screens/keys/custody.js), in milliseconds: what a
// waiting entry does to a key as shown, and the stocktake rule of webapp/keys/stocktake.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyOp, compare } from "../../static/js/screens/keys/custody.js";

const key = { code: "K1", status: "in", holder: null, due_back: null };

test("a lend puts the key out with its borrower and due time", () => {
  const lent = applyOp(key, { type: "key.lend", payload: { borrower_name: "陳師傅", borrower_type: "contractor", due_back: "2026-12-05T18:00:00+08:00" } });
  assert.deepEqual([lent.status, lent.holder, lent.due_back], ["out", { name: "陳師傅", type: "contractor" }, "2026-12-05T18:00:00+08:00"]);
  assert.equal(key.status, "in"); // the key itself is not changed
});

test("a return puts it back; an issue hands it to its owner; other ops change nothing", () => {
  const out = { ...key, status: "out", holder: { name: "x", type: "staff" } };
  assert.deepEqual(applyOp(out, { type: "key.return", payload: {} }), { ...key });
  const issued = applyOp(key, { type: "key.issue", payload: { owner_name: "王小明" } });
  assert.deepEqual([issued.status, issued.holder], ["issued", { name: "王小明", type: "owner" }]);
  assert.equal(applyOp(key, { type: "check.record", payload: {} }), key);
});

test("the stocktake: missing = in but not scanned, unexpected = scanned but not in", () => {
  const keys = [
    { code: "A", status: "in" },
    { code: "B", status: "in" },
    { code: "C", status: "out" },
    { code: "D", status: "issued" },
  ];
  const { missing, unexpected } = compare(keys, ["A", "C", "Z"]);
  assert.deepEqual(missing.map((k) => k.code), ["B"]);
  assert.deepEqual(unexpected.map((k) => k.code), ["C"]);
});
