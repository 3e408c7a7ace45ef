// One open note as an Automerge peer in the page. Typing in the title or the body becomes a
// splice in a change of the page's own copy, sent to the Quaderno process as Automerge sync
// messages; what the process sends (others' typing, edits made elsewhere) merges into the copy,
// and the fields are updated in place without moving the caret or the selection.

import * as A from "../vendor/automerge/entrypoints/slim.js";
import { spliceFor, describe } from "./textdiff.js";

/** Loads the Automerge library (its WebAssembly) once. */
export function loadAutomerge() {
  return A.initializeWasm("/vendor/automerge/automerge.wasm");
}

/** Text fields the page edits as collaborative text. */
const TEXT_FIELDS = ["title", "body"];
/** A burst of typing goes out as one message at most this often. */
const SEND_EVERY_MS = 30;
/** Typing goes into the copy after the frame that shows it, or after this long without frames
 *  (a page out of sight draws none). */
const TYPED_WITHIN_MS = 100;

export class NoteDoc {
  /** `author`: { name, city }; `send(bytes)`: hands a sync message to the socket;
   *  `changed(doc, { remote, texts })`: called after every change of the copy, with the text
   *  fields whose text changed (a sync message that brings nothing new calls nothing). */
  constructor({ id, author, send, changed }) {
    this.id = id;
    this.author = author;
    this.send = send;
    this.changed = changed;
    this.doc = null;
    this.state = null;
    this.fields = new Map();
    this.composing = false;
    this.pending = [];
    this.sendTimer = null;
    /** What was typed and is not in the copy yet: { field, el, caret }. */
    this.typing = null;
  }

  get ready() {
    return this.doc !== null;
  }

  /** The note as the process has it: merged into the copy (after a reconnection the copy may
   *  hold typing the process has not seen), then a fresh sync starts. */
  snapshot(bytes) {
    this.remote(() => {
      this.doc = this.doc ? A.loadIncremental(this.doc, bytes) : A.load(bytes);
      this.state = A.initSyncState();
    });
    this.flush();
  }

  /** The process refused a change of the copy: its own copy replaces ours. */
  reset(bytes) {
    this.remote(() => {
      this.doc = A.load(bytes);
      this.state = A.initSyncState();
    });
    this.flush();
  }

  /** A sync message from the process. Held back while an input method composes a word. */
  receive(bytes) {
    if (!this.ready) return;
    if (this.composing) {
      this.pending.push(bytes);
      return;
    }
    this.remote(() => {
      [this.doc, this.state] = A.receiveSyncMessage(this.doc, this.state, bytes);
    });
    this.flush();
  }

  /** Sends what the process has not heard yet. */
  flush() {
    this.commitTyping();
    clearTimeout(this.sendTimer);
    this.sendTimer = null;
    if (!this.ready) return;
    for (;;) {
      const [state, message] = A.generateSyncMessage(this.doc, this.state);
      this.state = state;
      if (!message) return;
      this.send(message);
    }
  }

  scheduleFlush() {
    if (this.sendTimer === null) this.sendTimer = setTimeout(() => this.flush(), SEND_EVERY_MS);
  }

  /** The text of a field in the copy. */
  text(field) {
    return textOf(this.doc, field);
  }

  /** Ties a field of the note to an input or textarea. With `keep`, what the field says stays
   *  and goes into the copy as typing (it was typed before the copy was here). */
  bind(field, el, { keep = false } = {}) {
    this.fields.set(field, el);
    if (keep && el.value !== this.text(field)) this.typed(field, el, el.selectionEnd);
    else el.value = this.text(field);
    el.addEventListener("input", () => this.typedSoon(field, el));
    el.addEventListener("compositionstart", () => (this.composing = true));
    el.addEventListener("compositionend", () => {
      this.composing = false;
      this.typedSoon(field, el);
      this.commitTyping();
      const held = this.pending;
      this.pending = [];
      for (const bytes of held) this.receive(bytes);
    });
  }

  unbind() {
    this.fields.clear();
  }

  /** The person changed a field. The copy follows once the browser has drawn the keystroke,
   *  so that making the change (a millisecond or two in a long note) does not hold the key's
   *  frame back. Whatever reads or replaces the copy first brings the typing in (`flush`,
   *  `remote`), so a message from the process never meets a field ahead of the copy. */
  typedSoon(field, el) {
    if (this.typing && this.typing.field !== field) this.commitTyping();
    if (this.typing) {
      this.typing.caret = el.selectionEnd;
      return;
    }
    const typing = { field, el, caret: el.selectionEnd };
    this.typing = typing;
    const commit = () => this.typing === typing && this.commitTyping();
    requestAnimationFrame(() => setTimeout(commit, 0));
    setTimeout(commit, TYPED_WITHIN_MS);
  }

  /** Brings what was typed into the copy. */
  commitTyping() {
    const typing = this.typing;
    if (!typing) return;
    this.typing = null;
    this.typed(typing.field, typing.el, typing.caret);
  }

  /** The change that makes the copy say what `el` says; `caret` is where its caret was after
   *  the edit (it tells where the edit was when the text around repeats). What the change
   *  depends on is read from the copy, not from inside the change: there each read of a field
   *  makes its whole text again (milliseconds for a long note). */
  typed(field, el, caret) {
    if (!this.ready) return;
    const before = this.text(field);
    const splice = spliceFor(before, el.value, caret);
    if (!splice) return;
    const actor = A.getActorId(this.doc);
    const signed = this.signedBy(actor);
    const isText = typeof this.doc[field] === "string";
    const options = { message: describe(field, before, splice), time: Math.floor(Date.now() / 1000) };
    this.doc = A.change(this.doc, options, (d) => {
      if (!signed) this.sign(d, actor);
      if (isText) {
        A.splice(d, [field], splice.pos, splice.del, splice.ins);
      } else {
        d[field] = el.value;
      }
    });
    this.scheduleFlush();
    this.changed(this.doc, { remote: false, texts: [field] });
  }

  /** Whether the note already names this actor. */
  signedBy(actor) {
    const authors = this.doc.authors;
    return Boolean(authors && typeof authors === "object" && authors[actor]);
  }

  /** Names this copy's actor in the note, so the history shows who typed. */
  sign(d, actor) {
    if (!d.authors || typeof d.authors !== "object") d.authors = {};
    d.authors[actor] = {
      name: new A.ImmutableString(this.author.name),
      city: new A.ImmutableString(this.author.city),
    };
  }

  /** Runs `update` (which replaces the copy) and, if the copy changed, brings the bound fields
   *  in line, keeping each field's selection where it was in the text. Most messages from the
   *  process change nothing (it acknowledges what we sent): those touch no field. */
  remote(update) {
    this.commitTyping();
    const before = this.doc;
    update();
    if (before && sameHeads(A.getHeads(before), A.getHeads(this.doc))) return;
    const texts = TEXT_FIELDS.filter((field) => textOf(before, field) !== this.text(field));
    for (const field of texts) {
      const el = this.fields.get(field);
      if (!el || el.value === this.text(field)) continue;
      const mark = this.markSelection(before, field, el);
      replaceValue(el, this.text(field));
      if (mark) this.restoreSelection(el, field, mark);
    }
    this.changed(this.doc, { remote: true, texts });
  }

  /** Where the selection of `el` is in `field` of `doc`, the copy `el` shows (still readable
   *  after `update` replaced it: Automerge keeps the history). */
  markSelection(doc, field, el) {
    if (typeof doc?.[field] !== "string") return null;
    return {
      start: cursorAt(doc, field, el.selectionStart),
      end: cursorAt(doc, field, el.selectionEnd),
      direction: el.selectionDirection,
      focused: document.activeElement === el,
    };
  }

  positionOf(field, mark) {
    try {
      if (mark.before) return A.getCursorPosition(this.doc, [field], mark.before);
      if (mark.after) return A.getCursorPosition(this.doc, [field], mark.after) + 1;
    } catch {
      // The character is gone from a text replaced whole: keep the old position.
    }
    return mark.at ?? 0;
  }

  restoreSelection(el, field, mark) {
    const length = el.value.length;
    const start = Math.min(length, this.positionOf(field, mark.start));
    const end = Math.min(length, Math.max(start, this.positionOf(field, mark.end)));
    if (mark.focused || document.activeElement === el) el.setSelectionRange(start, end, mark.direction);
  }
}

/** A cursor for a caret position in `field` of `doc`: it follows the character after the
 *  caret, or, at the end, the last character (so text others append after it stays after the
 *  caret). */
function cursorAt(doc, field, pos) {
  const length = doc[field].length;
  if (length === 0) return { at: 0 };
  if (pos >= length) return { after: A.getCursor(doc, [field], length - 1) };
  return { before: A.getCursor(doc, [field], pos) };
}

function textOf(doc, field) {
  const value = doc?.[field];
  return typeof value === "string" ? value : "";
}

function sameHeads(a, b) {
  return a.length === b.length && a.every((hash, i) => hash === b[i]);
}

/** Changes only the stretch of `el`'s text that differs, keeping its scroll position. */
function replaceValue(el, text) {
  const scroll = el.scrollTop;
  const splice = spliceFor(el.value, text);
  if (splice) el.setRangeText(splice.ins, splice.pos, splice.pos + splice.del, "preserve");
  el.scrollTop = scroll;
}

/** The fields of the note that are not text: tags, meeting, bin, authorship. */
export function readFields(doc) {
  const tags = namesOf(doc?.tags);
  const meeting = doc?.meeting && typeof doc.meeting === "object" ? doc.meeting : {};
  const date = meeting.date instanceof Date ? meeting.date.toISOString().slice(0, 10) : str(meeting.date);
  return {
    tags,
    date,
    place: str(meeting.place),
    participants: namesOf(meeting.participants),
    deleted: doc?.deleted === true,
    createdBy: str(doc?.created_by),
    createdAt: doc?.created_at instanceof Date ? doc.created_at : null,
  };
}

/** A string written as text or as a plain (immutable) string. */
function str(value) {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && "val" in value) return String(value.val);
  return "";
}

/** A set of names written as `{name: true}` or as a list. */
function namesOf(value) {
  if (Array.isArray(value)) return value.map(String).sort();
  if (value && typeof value === "object") {
    return Object.keys(value)
      .filter((k) => value[k] !== false && value[k] !== null)
      .sort((a, b) => a.localeCompare(b));
  }
  return [];
}

/** Every TEXT_FIELDS entry, for callers that bind them. */
export const textFields = TEXT_FIELDS;
