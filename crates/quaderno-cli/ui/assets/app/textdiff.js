// Turning what the person did in a text field into one splice, and back.
//
// An input event changes one stretch of text (typing, deleting, pasting over a selection). The
// splice that made it is found from the common start and end of the old and new text; the caret
// after the edit tells where the edit was when the text around it repeats ("aa" -> "aaa"), so
// that concurrent edits nearby merge where the person typed. Positions are UTF-16 code units,
// as in the text field and in Automerge's JavaScript API; a surrogate pair is never split.

/** The splice that turns `before` into `after`: `{ pos, del, ins }`, or null if equal.
 *  `caret` is where the caret is in `after` (selectionEnd), if known. */
export function spliceFor(before, after, caret) {
  if (before === after) return null;
  const grown = after.length - before.length;
  let maxPrefix = Math.min(before.length, after.length);
  if (Number.isInteger(caret)) {
    maxPrefix = Math.min(maxPrefix, Math.max(0, caret - Math.max(0, grown)));
  }
  let prefix = 0;
  while (prefix < maxPrefix && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  prefix = notInPair(after, prefix);
  let suffix = 0;
  const maxSuffix = Math.min(before.length, after.length) - prefix;
  while (
    suffix < maxSuffix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  suffix = after.length - notInPair(after, after.length - suffix);
  suffix = Math.min(suffix, before.length - prefix);
  return {
    pos: prefix,
    del: before.length - prefix - suffix,
    ins: after.slice(prefix, after.length - suffix),
  };
}

/** `index`, moved back if it falls between the two halves of a surrogate pair. */
function notInPair(text, index) {
  if (index > 0 && index < text.length) {
    const before = text.charCodeAt(index - 1);
    const at = text.charCodeAt(index);
    if (before >= 0xd800 && before <= 0xdbff && at >= 0xdc00 && at <= 0xdfff) return index - 1;
  }
  return index;
}

/** Characters (code points) in a string, as the history counts them. */
export function countChars(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The description Quaderno writes on a change of `field`, as the model does. */
export function describe(field, before, splice) {
  if (field === "title") return "title";
  const removed = countChars(before.slice(splice.pos, splice.pos + splice.del));
  return `body +${countChars(splice.ins)} -${removed} chars`;
}
