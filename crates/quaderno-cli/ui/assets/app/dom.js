// Building elements safely: text always goes in as text, never as HTML.

/** `h("button", { class: "x", onclick }, "text", child)` */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Text with the words a search matched (between `**`) marked. */
export function marked(snippet) {
  const parts = snippet.split("**");
  return parts.map((part, i) => (i % 2 === 1 ? h("mark", {}, part) : part));
}

/** The initials of a name, for an avatar. */
export function initials(name) {
  const plain = name.replace(/\(.*\)/g, " ");
  const words = plain.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (words.length === 0) return "?";
  const letters = words.length > 1 ? [...words[0]][0] + [...words[words.length - 1]][0] : [...words[0]].slice(0, 2).join("");
  return letters.toUpperCase();
}

/** "Anna" from "Anna (Palermo)". */
export function personName(author) {
  return author.replace(/\s*\(.*\)\s*$/, "") || author;
}

/** A calm colour picked from a name, so each person keeps theirs. */
export function hue(name) {
  let sum = 0;
  for (const c of name) sum = (sum * 31 + c.codePointAt(0)) % 360;
  return sum;
}

/** Runs `fn` once things have been quiet for `ms`, and at least every `most` ms while they
 *  are not (when given). */
export function debounce(fn, ms, most = Infinity) {
  let timer = null;
  let first = null;
  return (...args) => {
    clearTimeout(timer);
    first ??= Date.now();
    const wait = Math.max(0, Math.min(ms, first + most - Date.now()));
    timer = setTimeout(() => {
      first = null;
      fn(...args);
    }, wait);
  };
}

/** A small line drawing (fixed paths written in this code, never data). */
export function icon(paths) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("aria-hidden", "true");
  svg.innerHTML = paths;
  return svg;
}
