// Quaderno's page: the groups and their notes, search and filters, the editor, the sync status.
// It talks only to the Quaderno process on this computer, so it works with no network at all.

import { h, fill, $, debounce } from "./dom.js";
import { t, translate, language, setLanguage, onLanguage, errorText } from "./i18n.js";
import { api, ApiError } from "./api.js";
import { PageSocket } from "./socket.js";
import { loadAutomerge } from "./notedoc.js";
import { Editor, avatar } from "./editor.js";
import { renderList, renderOptions } from "./list.js";
import { renderPill, renderDetails, renderGroups, renderUnreadable, sharedGroups } from "./status.js";
import * as dialogs from "./dialogs.js";
import { AdminView } from "./admin.js";
import { erasedText } from "./erased.js";
import { dateField } from "./datefield.js";

const state = {
  overview: null,
  group: "",
  filters: { tag: "", place: "", from: "", to: "", bin: false },
  text: "",
  list: null,
  selected: null,
  /** Which pane a narrow window shows: "list", "note" or "groups" (a wide one shows all). */
  pane: "list",
};

/** Below this width the page is one column: the list, or the note, or the groups. */
const NARROW = matchMedia("(max-width: 900px)");

const app = {
  author: () => state.overview?.identity ?? { name: "?", city: "?" },
  group: (slug) => state.overview?.groups.find((g) => g.slug === slug) ?? null,
  groupTitle(slug) {
    const group = app.group(slug);
    if (!group) return slug ?? "";
    return group.personal ? t("groups.personal") : group.title;
  },
  sharedGroups: () => sharedGroups(state.overview),
  listChanged: () => loadListSoon(),
  refreshOverview,
  chooseGroup,
  choose: (id) => choose(id),
  sidebarChanged: () => renderSidebar(),
  /** What this computer may govern changed (it became an operator): ask again. */
  accessChanged: () => admin.loadAccess().then(accessKnown),
  openMove: (id) => dialogs.move(app, id),
  /** An admin of the group, or an operator of its relay: may erase its notes for everyone. */
  canGovern: (slug) => !!admin?.canGovern(slug),
  openErase: (note) => dialogs.erase(app, note, (reason) => eraseNote(note, reason)),
  openRedact: (note) => dialogs.redact(app, note, (passage, reason) => redactNote(note, passage, reason)),
  openWhenListed: (group, id) => openWhenListed(group, id),
  toast,
  /** From the note back to the list (a narrow window shows one at a time). */
  back: () => back(),
  /** The note being written was created (at its first character): it is listed and chosen. */
  noteCreated(id) {
    state.selected = id;
    history.replaceState(history.state, "", `#${encodeURIComponent(id)}`);
    loadList();
  },
  noteReady(id) {
    document.body.dataset.openNote = id;
  },
  /** The open note's title as it is typed, in its list entry at once. */
  titleNow(id, title) {
    const item = document.querySelector(`.note-item[data-note="${CSS.escape(id)}"] .note-title`);
    if (item) item.textContent = title || t("note.untitled");
  },
};

let editor;
let socket;
let admin;
let dates;

async function boot() {
  translate(document);
  markLanguage();
  try {
    await loadAutomerge();
    await refreshOverview();
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return showClosed();
    throw error;
  }
  socket = new PageSocket({
    onFrame: (frame) => editor.onFrame(frame),
    onMessage,
    onState: (s) => (s === "lost" ? checkAlive() : s === "open" ? hideClosed() : null),
  });
  editor = new Editor({ root: $("#editor"), socket, app });
  admin = new AdminView({ root: $("#admin"), shell: $("#app"), app });
  admin.overviewChanged(state.overview);
  admin.loadAccess().then(accessKnown);
  wire();
  setPane("list");
  const shared = sharedGroups(state.overview);
  state.group = shared.length ? shared[0].slug : "personal";
  renderSidebar();
  await loadList();
  $("#splash").hidden = true;
  $("#app").hidden = false;
  document.body.dataset.ready = "true";
  tellKept(state.overview);
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (wanted) choose(wanted);
  if (!state.overview.identity) dialogs.welcome(app);
}

function wire() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.onclick = () => setLanguage(button.dataset.lang);
  }
  onLanguage(() => {
    markLanguage();
    for (const field of dates) field.relabel();
    renderSidebar();
    renderListNow();
    editor.languageChanged();
    admin.languageChanged();
  });
  const search = $("#search");
  const searchSoon = debounce(() => loadList(), 120);
  search.addEventListener("input", () => {
    state.text = search.value;
    searchSoon();
  });
  const filter = (id, key, read = (el) => el.value) => {
    $(id).addEventListener("change", (event) => {
      state.filters[key] = read(event.target);
      loadList();
    });
  };
  filter("#filter-tag", "tag");
  filter("#filter-place", "place");
  const dateFilter = (id, key) =>
    dateField($(id), {
      onchange: (iso) => {
        state.filters[key] = iso;
        loadList();
      },
    });
  dates = [dateFilter("#filter-from", "from"), dateFilter("#filter-to", "to")];
  filter("#filter-bin", "bin", (el) => el.checked);
  $("#filters-clear").onclick = () => {
    state.filters = { tag: "", place: "", from: "", to: "", bin: false };
    for (const field of dates) field.iso = "";
    $("#filter-bin").checked = false;
    loadList();
  };
  $("#new-note").onclick = newNote;
  $("#nav-open").onclick = () => setPane(state.pane === "groups" ? "list" : "groups");
  window.addEventListener("popstate", () => {
    if (state.pane === "note") setPane("list");
  });
  $("#join-open").onclick = () => dialogs.join(app, { needIdentity: !state.overview?.identity });
  $("#link-open").onclick = () => dialogs.link(app, linkRelay());
  const pill = $("#sync-status");
  const details = $("#sync-details");
  pill.onclick = () => {
    details.hidden = !details.hidden;
    pill.setAttribute("aria-expanded", String(!details.hidden));
    if (!details.hidden) {
      renderDetails(details, state.overview);
      const box = pill.getBoundingClientRect();
      details.style.top = `${box.bottom + 8}px`;
      details.style.right = `${Math.max(8, window.innerWidth - box.right)}px`;
    }
  };
  document.addEventListener("pointerdown", (event) => {
    if (!details.hidden && !details.contains(event.target) && !pill.contains(event.target)) {
      details.hidden = true;
      pill.setAttribute("aria-expanded", "false");
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !details.hidden) {
      details.hidden = true;
      pill.focus();
    }
  });
}

function markLanguage() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language()));
  }
}

// --- Data ------------------------------------------------------------------------------------

async function refreshOverview() {
  state.overview = await api.overview();
  renderSidebar();
  if (admin?.overviewChanged(state.overview)) admin.loadAccess().then(accessKnown);
  editor?.statusChanged();
  if (document.body.dataset.ready) tellKept(state.overview);
}

const refreshOverviewSoon = debounce(() => refreshOverview().catch(() => {}), 400, 2000);

let listRequest = 0;
async function loadList() {
  const mine = ++listRequest;
  const params = { group: state.group, text: state.text, ...state.filters };
  try {
    const list = await api.notes(params);
    if (mine !== listRequest) return;
    state.list = list;
    renderListNow();
  } catch (error) {
    if (mine === listRequest) toast(errorText(error), "error");
  }
}

const loadListSoon = debounce(() => loadList(), 300, 1500);

function onMessage(message) {
  if (message.t === "notes") {
    for (const look of listWatchers) look();
    return loadListSoon();
  }
  if (message.t === "status") return refreshOverviewSoon();
  if (message.t === "erased") return noteErased(message);
  editor.onMessage(message);
}

// --- Rendering -------------------------------------------------------------------------------

function renderSidebar() {
  const overview = state.overview;
  if (!overview) return;
  renderGroups($("#groups"), overview, state.group, chooseGroup);
  if (admin) {
    admin.decorate($("#groups"), state.group);
    admin.renderRelays($("#admin-relays"));
  }
  renderPill($("#sync-status"), overview);
  renderUnreadable($("#unreadable"), overview);
  $("#link-open").hidden = !linkRelay();
  renderAccess();
  const details = $("#sync-details");
  if (!details.hidden) renderDetails(details, overview);
  const me = overview.identity;
  fill($("#me"), me ? [avatar(me.name, `${me.name} (${me.city})`), h("span", {}, `${me.name} · ${me.city}`)] : []);
}

/** What this computer may govern is known (again): the sidebar's entries and the note's
 *  actions follow it. */
function accessKnown() {
  renderSidebar();
  editor?.statusChanged();
}

/** The relay a code for another computer is made on: the chosen group's, or the first one's. */
function linkRelay() {
  const shared = sharedGroups(state.overview);
  return (shared.find((g) => g.slug === state.group) ?? shared[0])?.relay ?? null;
}

/** A reader's group: its notes are read here, never written, so there is nothing to create.
 *  Drawn with the list and again whenever the overview (where the role is) changes. */
function renderAccess() {
  const readOnly = !state.filters.bin && !!state.group && app.group(state.group)?.role === "reader";
  $("#list-read-only").hidden = !readOnly;
  $("#new-note").hidden = readOnly;
}

function renderListNow() {
  const list = state.list;
  const title = state.filters.bin ? t("list.bin") : state.group ? app.groupTitle(state.group) : t("groups.all");
  fill($("#list-title"), title);
  const n = list?.notes.length ?? 0;
  fill($("#list-count"), n === 1 ? t("list.count.one") : t("list.count.many", { n }));
  renderAccess();
  renderOptions($("#filter-tag"), list?.tags ?? [], t("filters.tag.any"), state.filters.tag);
  renderOptions($("#filter-place"), list?.places ?? [], t("filters.place.any"), state.filters.place);
  const filtered = Object.values(state.filters).some(Boolean);
  $("#filters-clear").hidden = !filtered;
  renderList($("#notes"), list, {
    selected: state.selected,
    showGroup: !state.group,
    groupTitle: app.groupTitle,
    searching: state.text.trim() !== "",
    bin: state.filters.bin,
    choose,
  });
}

// --- Actions ---------------------------------------------------------------------------------

/** The pane a narrow window shows. */
function setPane(pane) {
  state.pane = pane;
  $("#app").dataset.pane = pane;
  const toggle = $("#nav-open");
  toggle.setAttribute("aria-expanded", String(pane === "groups"));
  if (!NARROW.matches) return;
  if (pane === "groups") $("#sidebar").querySelector("button")?.focus();
  else if (pane === "list") ($("#notes .note-item[aria-current=true]") ?? $("#new-note"))?.focus();
}

/** Back from the note to the list; the browser's back does the same. */
function back() {
  if (history.state?.pane === "note") history.back();
  else setPane("list");
}

function chooseGroup(slug) {
  admin?.close();
  setPane("list");
  state.group = slug;
  renderSidebar();
  loadList();
}

function choose(id, options = {}) {
  admin?.close();
  state.selected = id;
  const address = `#${encodeURIComponent(id)}`;
  // In a narrow window the note takes the list's place: the browser's back returns to it.
  if (NARROW.matches && state.pane !== "note") history.pushState({ pane: "note" }, "", address);
  else history.replaceState(history.state, "", address);
  setPane("note");
  for (const item of document.querySelectorAll(".note-item")) {
    item.setAttribute("aria-current", String(item.dataset.note === id));
  }
  editor.open(id, options);
}

/** A blank note to write in: it is created in the chosen group (or the personal notebook)
 *  when its first character is typed, so a note left empty is never shared. */
function newNote() {
  admin?.close();
  const group = state.group && app.group(state.group) ? state.group : "personal";
  if (state.filters.bin) {
    state.filters.bin = false;
    $("#filter-bin").checked = false;
    loadList();
  }
  state.selected = null;
  for (const item of document.querySelectorAll(".note-item")) item.setAttribute("aria-current", "false");
  if (NARROW.matches && state.pane !== "note") history.pushState({ pane: "note" }, "", location.pathname);
  else history.replaceState(history.state, "", location.pathname);
  setPane("note");
  editor.draft(group);
}

/** A short notice; `action` adds a button, and with `stay` the notice waits for it. */
function toast(text, kind = "info", action = null) {
  const el = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, h("span", {}, text));
  if (action) {
    el.append(
      h("button", {
        type: "button",
        onclick: () => {
          el.remove();
          action.run();
        },
      }, action.label),
    );
  }
  $("#toasts").replaceChildren(el);
  if (!action?.stay) setTimeout(() => el.remove(), action ? 8000 : 4500);
}

// --- Edits a group would not take -------------------------------------------------------------

const KEPT_TOLD = "quaderno.kept.told";

/** Says once, for each personal copy, that the relay refused an edit and where it is kept. */
function tellKept(overview) {
  let told;
  try {
    told = new Set(JSON.parse(localStorage.getItem(KEPT_TOLD) ?? "[]"));
  } catch {
    told = new Set();
  }
  const fresh = sharedGroups(overview).flatMap((g) =>
    (g.kept ?? []).filter((k) => !told.has(k.copy)).map((k) => ({ ...k, groupTitle: g.title })),
  );
  if (fresh.length === 0) return;
  for (const k of fresh) told.add(k.copy);
  try {
    localStorage.setItem(KEPT_TOLD, JSON.stringify([...told]));
  } catch {
    // Not remembered: told again next time.
  }
  const first = fresh[0];
  if (fresh.length === 1) {
    const text = t("kept.one", { group: first.groupTitle, title: first.title, copy: first.copy_title });
    toast(text, "error", { label: t("kept.open"), run: () => choose(first.copy) });
  } else {
    const text = t("kept.many", { group: first.groupTitle, n: fresh.length });
    toast(text, "error", { label: t("kept.show"), run: () => chooseGroup("personal") });
  }
}

// --- Notes erased for everyone ---------------------------------------------------------------

/** Notes whose erasure this page has told (the pages that had one open hear of it twice: from
 *  its hub, then with every page). */
const erasedTold = new Set();

/** Says once that a note was erased from its group: in the note's place if it is open, else in
 *  a notice. A note that never was on this computer took nothing with it: nothing to say. */
function noteErased(erasure) {
  if (erasedTold.has(erasure.doc)) return;
  erasedTold.add(erasure.doc);
  loadListSoon();
  unselect(erasure.doc);
  if (editor.erased(erasure)) return setPane("note");
  if (!erasure.title && !erasure.lost_edits) return;
  toast(erasedText(erasure), "error", { label: t("erased.understood"), run: () => {}, stay: true });
}

/** Erases the note for everyone, then leaves it (the live sync deletes it within a second)
 *  and says where the receipts are. The erasure coming back from the relay is this page's
 *  own: it is not told as news, even when it comes before the relay's answer. */
async function eraseNote(note, reason) {
  erasedTold.add(note.id);
  try {
    await api.admin.erase({ group: note.group }, note.id, reason);
  } catch (error) {
    erasedTold.delete(note.id);
    throw error;
  }
  unselect(note.id);
  if (editor.id === note.id) editor.close();
  setPane("list");
  loadListSoon();
  toast(t("erase.done", { title: note.title || t("note.untitled") }));
}

// --- Passages erased from a note ------------------------------------------------------------

/** How long a note the relay just made may take to reach this computer before the page stops
 *  waiting for it (the live sync brings it within a second or so when online). */
const LISTED_WITHIN_MS = 15000;

/** Looks, at each change of the notes here, for the notes the page waits for. */
const listWatchers = new Set();

/** Note `id` of `group` as listed once it is on this computer (now, or at a change of the
 *  notes within `LISTED_WITHIN_MS`), or `null`. */
function whenListed(group, id) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (found) => {
      if (done) return;
      done = true;
      listWatchers.delete(look);
      clearTimeout(timer);
      resolve(found ?? null);
    };
    const look = async () => {
      try {
        // A note in the bin goes on in the bin.
        const lists = await Promise.all([api.notes({ group }), api.notes({ group, bin: true })]);
        const listed = lists.flatMap((list) => list.notes).find((n) => n.id === id);
        if (listed) finish(listed);
      } catch {
        // Asked again at the next change of the notes.
      }
    };
    const timer = setTimeout(() => finish(null), LISTED_WITHIN_MS);
    listWatchers.add(look);
    look();
  });
}

/** Opens note `id` once it is here (a note going on after a redaction may still be on its way);
 *  says so when it does not come. */
async function openWhenListed(group, id) {
  if (await whenListed(group, id)) {
    await loadList();
    return choose(id);
  }
  toast(t("redact.later"), "error");
}

/** Takes a passage out of the note and its whole history, then opens the note as it goes on
 *  once the live sync has brought it here. The erasure of the old document coming back from
 *  the relay is this page's own: it is not told as news. */
async function redactNote(note, passage, reason) {
  erasedTold.add(note.id);
  let redacted;
  try {
    redacted = await api.admin.redact({ group: note.group }, note.id, passage, reason);
  } catch (error) {
    erasedTold.delete(note.id);
    throw error;
  }
  unselect(note.id);
  if (editor.id === note.id) editor.close();
  loadListSoon();
  // The successor's title: the old one may have held the passage.
  const listed = await whenListed(note.group, redacted.successor);
  if (!listed) return toast(t("redact.done.later"));
  await loadList();
  choose(redacted.successor);
  toast(t("redact.done", { title: listed.title || t("note.untitled") }));
}

/** The note is no longer chosen (nor in the address, to open again on reload). */
function unselect(id) {
  if (state.selected !== id) return;
  state.selected = null;
  history.replaceState(null, "", location.pathname + location.search);
}

// --- When Quaderno stops -----------------------------------------------------------------------

async function checkAlive() {
  try {
    await api.overview();
  } catch (error) {
    if (error.status === 403 || error.status === 0) showClosed();
  }
}

function showClosed() {
  $("#splash").hidden = true;
  $("#closed").hidden = false;
}

function hideClosed() {
  $("#closed").hidden = true;
}

boot().catch((error) => {
  console.error(error);
  showClosed();
});
