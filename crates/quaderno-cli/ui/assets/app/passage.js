// How often a passage occurs in a note, as the relay will match it when it erases the passage:
// whatever its case, in the title, the text, the place and the participants; a tag counts
// once when it holds the passage, written as a tag ("Mario Rossi" as "mario-rossi") or not.

/** `text` lowercased character by character, as the relay compares. */
const lower = (text) => [...text].map((c) => c.toLowerCase()).join("");

/** How many times `needle` (lowercased) occurs in `text`, without overlaps. */
function count(text, needle) {
  const haystack = lower(text);
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) n += 1;
  return n;
}

/** The occurrences of `passage` in `{ texts, tags }` (the note's texts and its tags). */
export function occurrences({ texts, tags }, passage) {
  const needle = lower(passage.trim());
  if (!needle) return 0;
  const asTag = lower(passage.trim().split(/\s+/).join("-"));
  const inTexts = texts.reduce((n, text) => n + count(text ?? "", needle), 0);
  const inTags = tags.filter((tag) => count(tag, needle) > 0 || count(tag, asTag) > 0).length;
  return inTexts + inTags;
}
