// The service worker's Web Push rules (static/sw/push.js): which page a notification may open
// and what it shows. tests/browser/test_push.py drives the same code in Chromium.
import assert from "node:assert/strict";
import { test } from "node:test";
import { notificationFor, sameOriginUrl } from "../../static/sw/push.js";

const ORIGIN = "https://rounds.example.com";

test("only pages of this origin are opened", () => {
  assert.equal(sameOriginUrl("/review/findings/12", ORIGIN), `${ORIGIN}/review/findings/12`);
  assert.equal(sameOriginUrl(`${ORIGIN}/q/ABC`, ORIGIN), `${ORIGIN}/q/ABC`);
  for (const foreign of [
    "https://evil.example/review",
    "//evil.example/x",
    "http://rounds.example.com/review", // another scheme is another origin
    "https://rounds.example.com:444/x",
    "javascript:alert(1)",
    "data:text/html,hi",
    "",
    null,
    42,
  ]) {
    assert.equal(sameOriginUrl(foreign, ORIGIN), null, String(foreign));
  }
});

test("a message becomes a notification with its title, body, tag, icon and page", () => {
  globalThis.self = { location: { origin: ORIGIN } };
  const { title, options } = notificationFor({ title: "逾期", body: "消防門", tag: "finding:1", url: "/review" });
  assert.equal(title, "逾期");
  assert.equal(options.body, "消防門");
  assert.equal(options.tag, "finding:1");
  assert.equal(options.icon, "/static/icons/icon-192.png");
  assert.deepEqual(options.data, { url: `${ORIGIN}/review` });
  const bare = notificationFor({ url: "https://evil.example/" });
  assert.equal(bare.title, "巡查 Rounds");
  assert.equal(bare.options.tag, undefined);
  assert.deepEqual(bare.options.data, { url: null });
});
