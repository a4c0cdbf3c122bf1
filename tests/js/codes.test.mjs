// Label codes on the phone (static/js/codes.js), in milliseconds. The Chromium test
// tests/browser/test_pwa.py proves these rules agree with webapp/labels/codes.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkCharacter, isLongCode, normalize, parseScan, shortCodeValid } from "../../static/js/codes.js";

test("normalize reads a label as Crockford does", () => {
  assert.equal(normalize(" ab-cd ef "), "ABCDEF");
  assert.equal(normalize("ilou"), "110V");
});

test("a short code's last character checks the rest (Luhn mod 32)", () => {
  const body = "ABCDEFG";
  const short = body + checkCharacter(body);
  assert.ok(shortCodeValid(short));
  const wrong = body + (checkCharacter(body) === "0" ? "1" : "0");
  assert.ok(!shortCodeValid(wrong));
  assert.ok(!shortCodeValid("A"));
  assert.ok(!shortCodeValid("ABCDEFGHJ"));
});

test("a long code is 16 to 64 characters of the alphabet", () => {
  assert.ok(isLongCode("0123456789ABCDEF"));
  assert.ok(!isLongCode("0123456789ABCDE"));
  assert.ok(!isLongCode("0123456789ABCDEU"));
});

test("only this deployment's /q/ URLs are read as codes", () => {
  const base = "https://rounds.example/";
  assert.deepEqual(parseScan("https://rounds.example/q/abcd-efgh-jkmn-pqrs", base), { ok: true, code: "ABCDEFGHJKMNPQRS" });
  for (const text of [
    "https://evil.example/q/ABCDEFGHJKMNPQRS",
    "https://rounds.example/q/ABCDEFGHJKMNPQRS?x=1",
    "https://rounds.example/q/ABC",
    "https://rounds.example/q/ABCDEFGHJKMNPQRS/more",
    "not a url",
  ]) {
    assert.equal(parseScan(text, base).ok, false, text);
  }
});
