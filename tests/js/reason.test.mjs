// Why a check was not scanned (static/js/phone/reason.js): the "other" reason's words go in
// front of the patroller's note, and both together fit the note the server takes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { noteWithReason, OTHER_NOTE_MAX, OWN_NOTE_MAX } from "../../static/js/phone/reason.js";

test("an 'other' reason and the patroller's note, each as long as its field allows, fit 4000 (sync/schemas.py)", () => {
  const note = noteWithReason("other", "因".repeat(OTHER_NOTE_MAX), "記".repeat(OWN_NOTE_MAX));
  assert.equal(note.length, 4000);
  assert.ok(note.startsWith("其他原因：因"));
  assert.ok(note.includes("因\n記"), "the reason line, then the note");
});

test("only 'other' puts its words in front; without them the note is as typed", () => {
  assert.equal(noteWithReason("other", " 海報蓋住 ", " 已撕除 "), "其他原因：海報蓋住\n已撕除");
  assert.equal(noteWithReason("label_missing", "leftover words", "已撕除"), "已撕除");
  assert.equal(noteWithReason("other", "海報蓋住", ""), "其他原因：海報蓋住");
  assert.equal(noteWithReason("other", "", ""), "");
});
