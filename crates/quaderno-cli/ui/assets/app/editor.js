// The note editor: title and text typed into the note's Automerge copy, the other fields saved
// as they change, who else is in the note, the preview, the history and the note's actions.

import { h, fill, initials, hue, debounce, icon, personName } from "./dom.js";
import { t, formatTime, errorText, language } from "./i18n.js";
import { api } from "./api.js";
import { NoteDoc, readFields } from "./notedoc.js";
import { SNAPSHOT, SYNC, RESET } from "./socket.js";
import { HistoryView } from "./history.js";
import { erasedText, erasedTitle } from "./erased.js";
import { dateField } from "./datefield.js";

export class Editor {
  constructor({ root, socket, app }) {
    this.root = root;
    this.socket = socket;
    this.app = app;
    this.id = null;
    this.note = null;
    this.group = null;
    this.present = [];
    this.mode = "edit";
    this.renderPreview = debounce(() => this.preview(), 250);
    this.renderNothing();
  }

  /** Opens note `id` (closing the one open); `fresh` for a new note: its title is selected
   *  as soon as it can be typed over. */
  open(id, { fresh = false } = {}) {
    if (id === this.id) return;
    this.close();
    this.id = id;
    this.fresh = fresh;
    this.present = [];
    this.mode = "edit";
    this.fieldsNow = null;
    this.fieldsShown = null;
    this.note = this.noteDoc(id);
    this.renderNote();
    this.socket.openNote(id);
  }

  noteDoc(id) {
    return new NoteDoc({
      id,
      author: this.app.author(),
      send: (bytes) => this.socket.sendSync(id, bytes),
      changed: (doc, what) => this.changed(doc, what),
    });
  }

  /** A blank note for `group`, ready to type in: nothing exists until its first character
   *  (or a field) is written, so a note opened and left empty never reaches the group. */
  draft(group) {
    this.close();
    this.fresh = false;
    this.present = [];
    this.mode = "edit";
    this.fieldsNow = null;
    this.fieldsShown = null;
    this.group = group;
    this.drafting = { group, created: null };
    this.renderNote();
    const e = this.els;
    e.title.disabled = false;
    e.body.disabled = false;
    e.historyButton.hidden = true;
    e.menuButton.parentElement.hidden = true;
    const start = () => this.created();
    e.title.addEventListener("input", start);
    e.body.addEventListener("input", start);
    this.renderFoot();
    e.title.focus();
  }

  /** The draft as a note: created at its first character, with what its title says then; what
   *  is typed meanwhile is kept in the fields and goes into the note once its copy is here. */
  created() {
    const draft = this.drafting;
    if (!draft) return Promise.resolve(this.id);
    draft.created ??= (async () => {
      try {
        const { id } = await api.create(draft.group, this.els.title.value);
        if (this.drafting !== draft) return null;
        this.drafting = null;
        this.id = id;
        this.note = this.noteDoc(id);
        this.keepTyped = true;
        this.socket.openNote(id);
        this.app.noteCreated(id);
        return id;
      } catch (error) {
        draft.created = null;
        this.app.toast(errorText(error), "error");
        return null;
      }
    })();
    return draft.created;
  }

  /** The open note was erased from its group for everyone: it is closed, and the pane says
   *  what happened until it is read or another note is chosen. Returns whether it was open
   *  here. */
  erased(erasure) {
    if (erasure.doc !== this.id) return false;
    this.close();
    this.erasure = erasure;
    this.renderErased();
    return true;
  }

  close() {
    if (this.erasure) {
      this.erasure = null;
      this.renderNothing();
    }
    if (this.drafting) {
      this.drafting = null;
      this.renderNothing();
    }
    if (!this.id) return;
    this.note.flush();
    this.socket.closeNote(this.id);
    this.note.unbind();
    this.id = null;
    this.note = null;
    this.keepTyped = false;
    this.history = null;
    document.title = "Quaderno";
    this.renderNothing();
  }

  onFrame(frame) {
    if (frame.doc !== this.id) return;
    if (frame.kind === SNAPSHOT) this.note.snapshot(frame.bytes);
    else if (frame.kind === SYNC) this.note.receive(frame.bytes);
    else if (frame.kind === RESET) this.note.reset(frame.bytes);
  }

  onMessage(message) {
    if (message.doc !== this.id) {
      if (message.t === "error" && !message.doc) this.app.toast(errorText(message), "error");
      return;
    }
    switch (message.t) {
      case "opened":
      case "moved":
        this.group = message.group;
        this.renderCrumb();
        this.renderFoot();
        if (message.t === "moved") this.app.listChanged();
        break;
      case "presence":
        this.present = message.present;
        this.renderPresence();
        break;
      case "reset":
        this.group = message.group;
        this.app.toast(t("note.reset"), "error");
        break;
      case "gone":
        this.app.toast(t("note.gone"), "error");
        this.close();
        this.app.listChanged();
        break;
      case "error":
        this.app.toast(errorText(message), "error");
        break;
    }
  }

  /** The overview changed (sync status, groups): the parts that show it. */
  statusChanged() {
    if (!this.id && !this.drafting) return;
    this.renderCrumb();
    this.renderPresence();
    this.renderAccess();
    this.renderFoot();
  }

  languageChanged() {
    if (this.erasure) return this.renderErased();
    if (!this.id && !this.drafting) return this.renderNothing();
    this.renderCrumb();
    this.renderPresence();
    this.renderFoot();
    this.renderMenu();
    this.renderLabels();
    this.renderFields(true);
    this.renderAccess();
    this.history?.render();
  }

  // --- Rendering -------------------------------------------------------------------------

  renderNothing() {
    fill(
      this.root,
      h("div", { class: "editor-bar only-narrow" }, this.backButton()),
      h(
        "div",
        { class: "nothing" },
        h(
          "div",
          {},
          h("img", { class: "art", src: "/icon.svg", alt: "" }),
          h("h2", {}, t("note.none.title")),
          h("p", {}, t("note.none.body")),
        ),
      ),
    );
  }

  renderErased() {
    fill(
      this.root,
      h(
        "div",
        { class: "nothing erased" },
        h(
          "div",
          { id: "note-erased", role: "alert" },
          h("span", { class: "erased-art", "aria-hidden": "true" }, eraseIcon()),
          h("h2", {}, erasedTitle(this.erasure)),
          h("p", {}, erasedText(this.erasure)),
          this.erasure.successor
            ? h("button", { type: "button", class: "button", id: "note-erased-open", onclick: () => this.app.openWhenListed(this.erasure.group, this.erasure.successor) }, t("redacted.open"))
            : h("button", { type: "button", class: "button", id: "note-erased-close", onclick: () => {
                this.close();
                this.app.back();
              } }, t("erased.understood")),
        ),
      ),
    );
  }

  /** "← Note": back to the list, in a window too narrow to show both. */
  backButton() {
    return h(
      "button",
      { type: "button", class: "button ghost back-button", id: "note-back", "aria-label": t("note.back.label"), onclick: () => this.app.back() },
      backIcon(),
      h("span", {}, t("note.back")),
    );
  }

  renderNote() {
    this.bound = false;
    this.els = {};
    const e = this.els;
    e.back = this.backButton();
    e.crumb = h("div", { class: "crumb" });
    e.modeEdit = h("button", { type: "button", "aria-pressed": "true", onclick: () => this.setMode("edit") }, t("note.edit"));
    e.modePreview = h("button", { type: "button", "aria-pressed": "false", onclick: () => this.setMode("preview") }, t("note.preview"));
    e.historyButton = h(
      "button",
      { type: "button", class: "button ghost", id: "history-open", onclick: () => this.toggleHistory() },
      clockIcon(),
      h("span", {}, t("note.history")),
    );
    e.menuButton = h(
      "button",
      { type: "button", class: "button ghost", id: "note-actions", "aria-haspopup": "menu", "aria-expanded": "false", onclick: () => this.toggleMenu() },
      dotsIcon(),
      h("span", { class: "visually-hidden" }, t("note.more")),
    );
    e.menu = h("div", { class: "menu", role: "menu", hidden: true });
    e.presence = h("div", { class: "presence", "aria-live": "polite" });
    e.banner = h("div", { class: "banner", hidden: true });
    e.readOnly = h("div", { class: "banner info", id: "note-read-only", hidden: true });
    e.title = h("input", { class: "title-input", id: "note-title", autocomplete: "off", "aria-label": t("note.title.label"), placeholder: t("note.title.placeholder"), disabled: true });
    e.date = h("input", { id: "note-date" });
    e.place = h("input", { id: "note-place", autocomplete: "off", placeholder: t("note.place.placeholder"), onchange: () => this.save({ place: e.place.value }) });
    e.participants = h("input", {
      id: "note-participants",
      autocomplete: "off",
      placeholder: t("note.participants.placeholder"),
      onchange: () => this.save({ participants: splitNames(e.participants.value) }),
    });
    e.tagInput = h("input", {
      id: "note-tag",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: t("note.tag.add"),
      "aria-label": t("note.tag.add"),
      onkeydown: (event) => this.tagKey(event),
      onblur: () => this.addTag(),
    });
    e.chips = h("span", { class: "chips" });
    e.tags = h("div", { class: "tag-editor" }, e.chips, e.tagInput);
    e.body = h("textarea", { class: "body-input", id: "note-body", "aria-label": t("note.body.label"), placeholder: t("note.body.placeholder"), disabled: true });
    e.body.addEventListener("input", () => autosize(e.body, e.scroll));
    e.previewBox = h("div", { class: "preview", id: "note-preview", hidden: true });
    e.labels = {};
    const label = (key, input) => {
      const span = h("span", {}, t(key));
      e.labels[key] = span;
      return h("label", { class: "field" }, span, input);
    };
    e.fields = h(
      "div",
      { class: "fields" },
      label("note.date", e.date),
      label("note.place", e.place),
      h("div", { class: "participants" }, label("note.participants", e.participants)),
    );
    e.dateField = dateField(e.date, { onchange: (iso) => this.save({ date: iso }) });
    e.scroll = h(
      "div",
      { class: "editor-scroll" },
      h(
        "div",
        { class: "editor-body" },
        e.readOnly,
        e.banner,
        e.title,
        e.fields,
        h("div", { class: "field tags-field" }, (e.labels["note.tags"] = h("span", {}, t("note.tags"))), e.tags),
        e.body,
        e.previewBox,
      ),
    );
    e.historyBox = h("div", { class: "history", hidden: true });
    e.foot = h("div", { class: "editor-foot", "aria-live": "polite" });
    fill(
      this.root,
      h(
        "div",
        { class: "editor-bar" },
        e.back,
        e.crumb,
        h("div", { class: "bar-spacer" }),
        (e.segmented = h("div", { class: "segmented", role: "group" }, e.modeEdit, e.modePreview)),
        e.historyButton,
        h("div", { class: "menu-wrap" }, e.menuButton, e.menu),
      ),
      e.presence,
      e.scroll,
      e.historyBox,
      e.foot,
    );
    this.renderCrumb();
    this.renderPresence();
    this.renderMenu();
    this.renderFoot();
  }

  /** After every change of the note's copy: `texts` are the text fields whose text changed,
   *  `remote` whether the change came from the process. A key typed in the body touches only
   *  what shows the body (the text area grows in its own input listener); the other fields are
   *  drawn again only when they differ. */
  changed(doc, { remote, texts }) {
    const first = !this.bound;
    if (first) this.bindNote();
    if (first || texts.includes("title")) this.titleChanged();
    if (first || texts.includes("body")) this.bodyChanged(remote);
    if (first || remote) this.fieldsChanged(readFields(doc));
  }

  /** The note's copy is there: its title and body can be typed. */
  bindNote() {
    this.bound = true;
    const e = this.els;
    // A note created from a draft: what was typed while it was being created stays, and goes
    // into the note as typing.
    const keep = this.keepTyped;
    this.keepTyped = false;
    this.note.bind("title", e.title, { keep });
    this.note.bind("body", e.body, { keep });
    e.title.disabled = false;
    e.body.disabled = false;
    e.historyButton.hidden = false;
    e.menuButton.parentElement.hidden = false;
    this.renderAccess();
    if (this.fresh && !this.readOnly()) {
      e.title.focus();
      e.title.select();
    }
    this.app.noteReady(this.id);
  }

  titleChanged() {
    const title = this.note.text("title");
    this.app.titleNow(this.id, title);
    document.title = title ? `${title} · Quaderno` : "Quaderno";
  }

  bodyChanged(remote) {
    if (remote) autosize(this.els.body, this.els.scroll);
    if (this.mode === "preview") this.renderPreview();
  }

  fieldsChanged(fields) {
    const shown = JSON.stringify(fields);
    if (shown === this.fieldsShown) return;
    this.fieldsShown = shown;
    this.fieldsNow = fields;
    this.renderFields(false);
  }

  /** The words of the editor that do not come from the note, in the page's language. */
  renderLabels() {
    const e = this.els;
    for (const [key, span] of Object.entries(e.labels)) span.textContent = t(key);
    e.place.placeholder = t("note.place.placeholder");
    e.participants.placeholder = t("note.participants.placeholder");
    e.tagInput.placeholder = t("note.tag.add");
    e.title.setAttribute("aria-label", t("note.title.label"));
    e.title.placeholder = t("note.title.placeholder");
    e.body.setAttribute("aria-label", t("note.body.label"));
    e.dateField.relabel();
    e.back.setAttribute("aria-label", t("note.back.label"));
    e.back.querySelector("span").textContent = t("note.back");
    e.body.placeholder = t("note.body.placeholder");
    e.modeEdit.textContent = t("note.edit");
    e.modePreview.textContent = t("note.preview");
    e.historyButton.querySelector("span").textContent = t("note.history");
  }

  /** The note's fields other than its texts; `force` also over the one being typed in. */
  renderFields(force) {
    const f = this.fieldsNow;
    if (!f) return;
    const e = this.els;
    const quiet = (el) => force || document.activeElement !== el;
    if (quiet(e.date)) e.dateField.iso = f.date;
    if (quiet(e.place)) e.place.value = f.place;
    if (quiet(e.participants)) e.participants.value = f.participants.join(", ");
    const chips = f.tags.map((tag) =>
      h(
        "span",
        { class: "tag-chip" },
        tag,
        h(
          "button",
          { type: "button", "aria-label": t("note.tag.remove", { tag }), onclick: () => this.removeTag(tag) },
          icon('<path d="M6 6l8 8M14 6l-8 8"/>'),
        ),
      ),
    );
    // Only the chips change: the input keeps its focus and what is being typed in it.
    const shown = f.tags.join("\u001f");
    if (force || e.chips.dataset.tags !== shown) {
      e.chips.replaceChildren(...chips);
      e.chips.dataset.tags = shown;
    }
    e.banner.hidden = !f.deleted;
    if (f.deleted) {
      fill(
        e.banner,
        h("span", {}, t("note.deleted.banner")),
        h("button", { type: "button", class: "button", onclick: () => this.setDeleted(false) }, t("note.restore")),
      );
    }
    this.renderMenu();
    this.renderFoot();
  }

  /** Whether this participant may only read the note's group (the relay says their role). */
  readOnly() {
    const group = this.app.group(this.group);
    return !!group && !group.personal && group.role === "reader";
  }

  /** A reader sees the note as it is, cannot change it, and is told why. */
  renderAccess() {
    const e = this.els;
    if (!e?.readOnly) return;
    const readOnly = this.readOnly();
    e.title.readOnly = readOnly;
    e.body.readOnly = readOnly;
    for (const input of [e.place, e.participants, e.tagInput]) input.disabled = readOnly;
    e.dateField.disabled = readOnly;
    e.tags.classList.toggle("read-only", readOnly);
    e.readOnly.hidden = !readOnly;
    if (readOnly) {
      fill(e.readOnly, h("strong", {}, t("note.readonly.title")), h("span", {}, t("note.readonly.body")));
    }
    this.renderMenu();
  }

  renderCrumb() {
    const title = this.group ? this.app.groupTitle(this.group) : "";
    fill(this.els.crumb, folderIcon(), h("span", {}, t("note.group")), h("strong", {}, title));
  }

  renderPresence() {
    const el = this.els.presence;
    const group = this.app.group(this.group);
    if (group && !group.personal && !group.online) {
      fill(el, h("span", {}, t("presence.offline")));
      el.dataset.count = "offline";
      return;
    }
    if (this.present.length === 0) {
      fill(el, h("span", {}, t("presence.alone")));
      el.dataset.count = "0";
      return;
    }
    el.dataset.count = String(this.present.length);
    fill(
      el,
      h("span", { class: "live-dot", "aria-hidden": "true" }),
      h(
        "span",
        { class: "avatars", "aria-hidden": "true" },
        this.present.slice(0, 6).map((p) => avatar(p.name, `${p.name} (${p.city})`)),
      ),
      h(
        "span",
        { class: "names" },
        `${t("presence.others")} `,
        this.present.map((p, i) => [
          i > 0 ? ", " : "",
          h("strong", {}, p.name),
          ` (${p.city})`,
          p.claimed ? h("span", { class: "claimed" }, ` ${t("presence.claimed", { name: p.claimed })}`) : null,
        ]),
      ),
    );
  }

  renderFoot() {
    const foot = this.els?.foot;
    if (!foot) return;
    const group = this.app.group(this.group);
    let state = "synced";
    let text = t("note.saved.synced");
    if (this.drafting) {
      state = "draft";
      text = t("note.draft");
    } else if (this.readOnly()) {
      state = "readonly";
      text = t("note.saved.readonly");
    } else if (!group || group.personal) {
      state = "personal";
      text = t("note.saved.personal");
    } else if (!group.online || group.waiting.some((w) => w.id === this.id)) {
      state = "waiting";
      text = group.online ? t("note.saved.local") : t("note.saved.waiting");
    }
    foot.className = `editor-foot ${state}`;
    foot.dataset.state = state;
    const f = this.fieldsNow;
    const created = f?.createdAt ? t("note.created", { who: f.createdBy, when: formatTime(f.createdAt.toISOString()) }) : "";
    fill(foot, h("span", { class: "saved-dot", "aria-hidden": "true" }), h("span", {}, text), h("span", { class: "created" }, created));
  }

  renderMenu() {
    const menu = this.els.menu;
    const group = this.app.group(this.group);
    const canMove = group?.personal && this.app.sharedGroups().length > 0;
    const deleted = this.fieldsNow?.deleted;
    fill(
      menu,
      canMove ? h("button", { type: "button", role: "menuitem", onclick: () => this.menuAction(() => this.app.openMove(this.id)) }, arrowIcon(), t("note.move")) : null,
      h("a", { role: "menuitem", id: "note-print", href: api.printUrl(this.id, language()), target: "_blank", rel: "noopener", onclick: () => this.toggleMenu(false) }, printIcon(), t("note.print")),
      h("a", { role: "menuitem", href: api.markdownUrl(this.id), download: "", onclick: () => this.toggleMenu(false) }, downloadIcon(), t("note.export")),
      this.readOnly()
        ? null
        : deleted
        ? h("button", { type: "button", role: "menuitem", onclick: () => this.menuAction(() => this.setDeleted(false)) }, restoreIcon(), t("note.restore"))
        : h("button", { type: "button", role: "menuitem", class: "danger", onclick: () => this.menuAction(() => this.setDeleted(true)) }, binIcon(), t("note.delete")),
      this.canErase() ? [h("div", { class: "menu-separator", role: "separator" }), this.redactItem(), this.eraseItem()] : null,
    );
  }

  /** An admin of a group (or an operator) may erase its notes for everyone. */
  canErase() {
    const group = this.app.group(this.group);
    return !!group && !group.personal && this.app.canGovern(this.group);
  }

  /** "Cancella per tutti…", apart from the bin: for good, from every computer of the group. */
  eraseItem() {
    const open = () => this.app.openErase({ id: this.id, group: this.group, title: this.note?.text("title") ?? "" });
    return h(
      "button",
      { type: "button", role: "menuitem", class: "danger erase-item", id: "note-erase", onclick: () => this.menuAction(open) },
      eraseIcon(),
      h("span", { class: "menu-text" }, h("span", {}, t("note.erase")), h("small", {}, t("note.erase.hint"))),
    );
  }

  /** "Cancella un passaggio…": a text leaves the note and its whole history; the note goes on. */
  redactItem() {
    const fields = () => {
      const f = this.fieldsNow ?? readFields(null);
      return { texts: [this.note?.text("title"), this.note?.text("body"), f.place, ...f.participants], tags: f.tags };
    };
    const open = () => this.app.openRedact({ id: this.id, group: this.group, title: this.note?.text("title") ?? "", fields });
    return h(
      "button",
      { type: "button", role: "menuitem", class: "danger erase-item", id: "note-redact", onclick: () => this.menuAction(open) },
      redactIcon(),
      h("span", { class: "menu-text" }, h("span", {}, t("note.redact")), h("small", {}, t("note.redact.hint"))),
    );
  }

  // --- Actions ---------------------------------------------------------------------------

  toggleMenu(show) {
    const { menu, menuButton } = this.els;
    const open = show ?? menu.hidden;
    menu.hidden = !open;
    menuButton.setAttribute("aria-expanded", String(open));
    if (open) {
      menu.querySelector("button, a")?.focus();
      const away = (event) => {
        if (!menu.contains(event.target) && event.target !== menuButton && !menuButton.contains(event.target)) {
          this.toggleMenu(false);
          document.removeEventListener("pointerdown", away);
        }
      };
      document.addEventListener("pointerdown", away);
      menu.onkeydown = (event) => {
        if (event.key === "Escape") {
          this.toggleMenu(false);
          menuButton.focus();
        }
      };
    }
  }

  menuAction(action) {
    this.toggleMenu(false);
    action();
  }

  async save(fields) {
    try {
      const id = await this.created();
      if (!id) return;
      await api.fields(id, fields);
    } catch (error) {
      this.app.toast(errorText(error), "error");
      this.renderFields(true);
    }
  }

  tagKey(event) {
    if (event.key === "Enter" || event.key === ",") {
      event.preventDefault();
      this.addTag();
    } else if (event.key === "Backspace" && this.els.tagInput.value === "" && this.fieldsNow?.tags.length) {
      this.removeTag(this.fieldsNow.tags[this.fieldsNow.tags.length - 1]);
    }
  }

  addTag() {
    const input = this.els.tagInput;
    const tag = input.value.trim().replace(/,$/, "");
    const tags = this.fieldsNow?.tags ?? (this.drafting ? [] : null);
    if (!tag || !tags) return;
    input.value = "";
    if (tags.includes(tag)) return;
    this.save({ tags: [...tags, tag] });
  }

  removeTag(tag) {
    if (!this.fieldsNow) return;
    this.save({ tags: this.fieldsNow.tags.filter((t) => t !== tag) });
  }

  async setDeleted(deleted) {
    const id = this.id;
    try {
      await api.bin(id, deleted);
      this.app.listChanged();
      if (deleted) {
        this.app.toast(t("note.deleted.done"), "info", {
          label: t("note.undo"),
          run: async () => {
            await api.bin(id, false);
            this.app.listChanged();
          },
        });
      } else {
        this.app.toast(t("note.restored.done"));
      }
    } catch (error) {
      this.app.toast(errorText(error), "error");
    }
  }

  setMode(mode) {
    this.mode = mode;
    const e = this.els;
    e.modeEdit.setAttribute("aria-pressed", String(mode === "edit"));
    e.modePreview.setAttribute("aria-pressed", String(mode === "preview"));
    e.body.hidden = mode !== "edit";
    e.previewBox.hidden = mode !== "preview";
    if (mode === "preview") this.preview();
    else autosize(e.body, e.scroll);
  }

  async preview() {
    if (!this.note?.ready || this.mode !== "preview") return;
    try {
      const { html } = await api.render(this.note.text("body"));
      const box = this.els.previewBox;
      box.innerHTML = html; // Rendered by the Quaderno process: raw HTML in notes is escaped there.
      for (const a of box.querySelectorAll("a[href]")) {
        a.target = "_blank";
        a.rel = "noopener noreferrer";
      }
    } catch (error) {
      this.app.toast(errorText(error), "error");
    }
  }

  toggleHistory() {
    const e = this.els;
    const open = e.historyBox.hidden;
    e.historyBox.hidden = !open;
    e.scroll.hidden = open;
    e.historyButton.setAttribute("aria-pressed", String(open));
    e.segmented.hidden = open;
    if (open) {
      this.history = new HistoryView({
        root: e.historyBox,
        id: this.id,
        app: this.app,
        close: () => this.toggleHistory(),
      });
      this.history.load();
    } else {
      this.history = null;
      e.title.focus();
    }
  }
}

function splitNames(text) {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Whether the browser grows the text area with its text by itself (`field-sizing: content` in
 *  style.css). Then nothing measures it here: a measure forces a layout of the whole text, on
 *  every key. */
const SIZED_BY_BROWSER = CSS.supports("field-sizing", "content");

/** Grows the text area with its text, keeping the page where it was. */
function autosize(textarea, scroller) {
  if (SIZED_BY_BROWSER || textarea.hidden) return;
  const top = scroller.scrollTop;
  textarea.style.height = "auto";
  textarea.style.height = `${textarea.scrollHeight + 4}px`;
  scroller.scrollTop = top;
}

export function avatar(name, title) {
  const el = h("span", { class: "avatar", title }, initials(name));
  el.style.setProperty("--hue", String(hue(personName(name))));
  return el;
}

const clockIcon = () => icon('<circle cx="10" cy="10" r="7"/><path d="M10 6v4l3 2"/>');
const dotsIcon = () => icon('<circle cx="4.5" cy="10" r="1.2"/><circle cx="10" cy="10" r="1.2"/><circle cx="15.5" cy="10" r="1.2"/>');
const folderIcon = () => icon('<path d="M3 6.5a1.5 1.5 0 0 1 1.5-1.5h3l2 2h6a1.5 1.5 0 0 1 1.5 1.5v6a1.5 1.5 0 0 1-1.5 1.5h-11A1.5 1.5 0 0 1 3 14.5z"/>');
const arrowIcon = () => icon('<path d="M4 10h11M11 6l4 4-4 4"/>');
const downloadIcon = () => icon('<path d="M10 3v10M6 9l4 4 4-4M4 16h12"/>');
const binIcon = () => icon('<path d="M4 6h12M8 6V4h4v2M6 6l1 10h6l1-10"/>');
const redactIcon = () => icon('<path d="M3 5h14M3 15h9"/><rect x="3" y="8" width="10" height="4" rx="1" fill="currentColor" stroke="none"/>');
const eraseIcon = () => icon('<circle cx="10" cy="10" r="7"/><path d="M5 15L15 5"/>');
const printIcon = () => icon('<path d="M6 8V3h8v5M6 14H4V8h12v6h-2M6 11h8v6H6z"/>');
const backIcon = () => icon('<path d="M16 10H4M9 5l-5 5 5 5"/>');
const restoreIcon = () => icon('<path d="M4 10a6 6 0 1 0 2-4.5M4 4v3h3"/>');
