// Label codes on the phone (static/js/codes.js), in milliseconds. The Chromium test
// tests/browser/test_pwa.py proves these rules agree with webapp/labels/codes.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkCharacter, isLongCode, itemCodeFromPath, normalize, parseScan, shortCodeValid } from "../../static/js/codes.js";

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

test("a label's upper-case URL (/Q/, QR alphanumeric mode) reads as the same code", () => {
  const ok = { ok: true, code: "ABCDEFGHJKMNPQRS" };
  assert.deepEqual(parseScan("HTTPS://ROUNDS.EXAMPLE/Q/ABCDEFGHJKMNPQRS", "https://rounds.example/"), ok);
  assert.deepEqual(parseScan("HTTP://127.0.0.1:5000/Q/ABCDEFGHJKMNPQRS", "http://127.0.0.1:5000"), ok);
  assert.deepEqual(parseScan("HTTPS://ROUNDS.EXAMPLE:8443/Q/abcdefghjkmnpqrs", "https://Rounds.Example:8443"), ok);
  // A base URL's own path is compared as configured: paths are case-sensitive.
  assert.deepEqual(parseScan("HTTPS://X.EXAMPLE/ROUNDS/Q/ABCDEFGHJKMNPQRS", "https://x.example/ROUNDS"), ok);
  assert.deepEqual(parseScan("https://x.example/rounds/Q/ABCDEFGHJKMNPQRS", "https://x.example/rounds/"), ok);
  for (const text of [
    "HTTPS://X.EXAMPLE/ROUNDS/Q/ABCDEFGHJKMNPQRS",
    "https://x.example/Q/ABCDEFGHJKMNPQRS",
    "https://x.example/roundsQ/ABCDEFGHJKMNPQRS",
  ]) {
    assert.equal(parseScan(text, "https://x.example/rounds").ok, false, text);
  }
  for (const text of [
    "HTTPS://EVIL.EXAMPLE/Q/ABCDEFGHJKMNPQRS",
    "HTTP://ROUNDS.EXAMPLE/Q/ABCDEFGHJKMNPQRS",
    "HTTPS://ROUNDS.EXAMPLE:444/Q/ABCDEFGHJKMNPQRS",
    "HTTPS://ROUNDS.EXAMPLE/QQ/ABCDEFGHJKMNPQRS",
    "HTTPS://ROUNDS.EXAMPLE/Q/ABCDEFGHJKMNPQRS/",
    "HTTPS://ROUNDS.EXAMPLE/Q/ABCDEFGHJKMNPQRS/X",
    "HTTPS://ROUNDS.EXAMPLE/Q/ABC",
    "HTTPS://ROUNDS.EXAMPLE/Q/%E0%A4%A",
  ]) {
    assert.equal(parseScan(text, "https://rounds.example").ok, false, text);
  }
});

test("an item page's path, /q/<code> or /Q/<CODE>, names its code", () => {
  assert.equal(itemCodeFromPath("/q/abcd-efgh"), "ABCDEFGH");
  assert.equal(itemCodeFromPath("/Q/ABCDEFGHJKMNPQRS"), "ABCDEFGHJKMNPQRS");
  assert.equal(itemCodeFromPath("/Q/ABCDEFGHJKMNPQRS/"), "ABCDEFGHJKMNPQRS");
  for (const path of ["/", "/app", "/q/", "/q/A/B", "/x/q/ABC", "/qq/ABC", "/Q/%E0%A4%A"]) {
    assert.equal(itemCodeFromPath(path), null, path);
  }
});
