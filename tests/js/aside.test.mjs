// A word with another beside it in brackets: full-width in Chinese, half-width in English, as
// webapp.i18n.aside writes them on the server (tests/webapp/test_i18n.py).
import assert from "node:assert/strict";
import { test } from "node:test";
import { aside } from "../../static/js/phone/i18n.js";

test("Chinese takes full-width brackets, with no space", () => {
  assert.equal(aside("李先生", "業主", "zh-Hant-TW"), "李先生（業主）");
  assert.equal(aside("檢查", "正常", "zh-Hant"), "檢查（正常）");
});

test("English takes a space and half-width brackets", () => {
  assert.equal(aside("Mr Lee", "owner", "en"), "Mr Lee (owner)");
});
