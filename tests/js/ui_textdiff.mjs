// The page's text diff (crates/quaderno-cli/ui/assets/app/textdiff.js): one input event becomes
// one splice, placed where the caret says, never splitting a surrogate pair. Prints "ok".

import assert from "node:assert/strict";
import { spliceFor, describe } from "../../crates/quaderno-cli/ui/assets/app/textdiff.js";

const apply = (text, s) => text.slice(0, s.pos) + s.ins + text.slice(s.pos + s.del);

const cases = [
  // [before, after, caret after the edit, expected splice]
  ["abc", "abXc", 3, { pos: 2, del: 0, ins: "X" }],
  ["aa", "aaa", 1, { pos: 0, del: 0, ins: "a" }],
  ["aa", "aaa", 3, { pos: 2, del: 0, ins: "a" }],
  ["aaa", "aa", 0, { pos: 0, del: 1, ins: "" }],
  ["hello world", "hello there world", 12, { pos: 6, del: 0, ins: "there " }],
  ["", "x", 1, { pos: 0, del: 0, ins: "x" }],
  ["xyz", "", 0, { pos: 0, del: 3, ins: "" }],
  ["abcdef", "abZZef", 4, { pos: 2, del: 2, ins: "ZZ" }],
  ["Nuova nota", "D", 1, { pos: 0, del: 10, ins: "D" }],
  ["città", "città!", 6, { pos: 5, del: 0, ins: "!" }],
];
for (const [before, after, caret, expected] of cases) {
  const splice = spliceFor(before, after, caret);
  assert.deepEqual(splice, expected, `${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  assert.equal(apply(before, splice), after);
}

// An emoji replaced by another: the pair goes whole.
const emoji = spliceFor("a😀b", "a😁b", 3);
assert.deepEqual(emoji, { pos: 1, del: 2, ins: "😁" });
// Without a caret the result is still right.
for (const [before, after] of [["abc", "aXbc"], ["😀😀", "😀x😀"], ["same", "same"]]) {
  const splice = spliceFor(before, after);
  assert.equal(splice ? apply(before, splice) : before, after);
}
assert.equal(spliceFor("same", "same", 2), null);

// Descriptions as the history reads them: characters, not UTF-16 units.
assert.equal(describe("body", "aé😀", spliceFor("aé😀", "a", 1)), "body +0 -2 chars");
assert.equal(describe("body", "", spliceFor("", "😀x", 3)), "body +2 -0 chars");
assert.equal(describe("title", "a", spliceFor("a", "ab", 2)), "title");

console.log("ok");
