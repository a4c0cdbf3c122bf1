// The phone's reading of typed text (static/js/phone/text.js) is the server's (webapp/text.py,
// tests/webapp/test_text.py has the same tables): a required value of nothing visible is
// blank before it is queued, not quarantined by the server afterwards; a length is counted as
// Python counts it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { blank, overLimit, tooLong, trim } from "../../static/js/phone/text.js";

const INVISIBLE = [
  "\u200b",
  "\u200b\u200d",
  "\ufeff",
  "\u00ad",
  "\u2060",
  "\u3000",
  "\u00a0",
  " \u200b \u3000\u00a0\t\u2060 ",
  "\u200e\u202e",
  "\u3164",
  "\ufe0f",
  "\x1c\x85",
];

const FLAG = "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}";
const KEPT = [
  ["a\u200db", "a\u200db"],
  ["\u{1f468}\u200d\u{1f469}\u200d\u{1f467}", "\u{1f468}\u200d\u{1f469}\u200d\u{1f467}"],
  ["\u2764\ufe0f", "\u2764\ufe0f"],
  [`會所${FLAG}`, `會所${FLAG}`],
  ["\u200b3棟\u200b", "3棟"],
  ["\ufeff 陳美玲 \u3000", "陳美玲"],
  ["\u200d\u2764\ufe0f\u200b ", "\u2764\ufe0f"],
];

test("a value of invisible characters is blank; String.trim() was not enough", () => {
  for (const value of INVISIBLE) {
    assert.equal(trim(value), "", JSON.stringify(value));
    assert.ok(blank(value), JSON.stringify(value));
  }
  assert.notEqual("\u200b".trim(), "", "the defect: String.trim keeps a zero-width space");
  assert.ok(blank(null) && blank(undefined) && blank(""));
});

test("the ends are trimmed, joiners, selectors and a flag's tags inside or at the end kept", () => {
  for (const [value, kept] of KEPT) {
    assert.equal(trim(value), kept, JSON.stringify(value));
    assert.ok(!blank(value));
  }
});

test("a length is counted in characters as the server counts them, never cut", () => {
  assert.ok(!tooLong("長".repeat(120), 120));
  assert.ok(tooLong("長".repeat(121), 120));
  assert.ok(!tooLong("𠮷".repeat(120), 120), "an astral character is one, not two UTF-16 units");
  assert.deepEqual(overLimit([["短", 120, "借用人"], ["長".repeat(201), 200, "用途"]]), { field: "用途", n: 200 });
  assert.equal(overLimit([["短", 120, "借用人"]]), null);
});
