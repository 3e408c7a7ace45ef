// A note's history: who changed it, when and what, newest first; the note as it was after any
// step; copying its text, or taking the old title and text back into the note.

import { h, fill, icon, personName } from "./dom.js";
import { t, formatTime, formatClock, formatDay, errorText } from "./i18n.js";
import { api } from "./api.js";
import { avatar } from "./editor.js";

export class HistoryView {
  constructor({ root, id, app, close }) {
    this.root = root;
    this.id = id;
    this.app = app;
    this.close = close;
    this.steps = null;
    this.chosen = null;
    this.version = null;
  }

  async load() {
    fill(this.root, h("p", { class: "empty" }, t("history.loading")));
    try {
      this.steps = await api.history(this.id);
      this.render();
      if (this.steps.length) await this.choose(this.steps[0].change);
    } catch (error) {
      this.app.toast(errorText(error), "error");
    }
  }

  render() {
    if (!this.steps) return;
    this.list = h(
      "ul",
      { class: "steps", "aria-label": t("history.heading") },
      this.steps.map((step, i) => this.item(step, i === 0)),
    );
    this.pane = h("section", { class: "version", "aria-live": "polite" });
    const back = h(
      "button",
      { type: "button", class: "button ghost", id: "history-close", onclick: () => this.close() },
      icon('<path d="M16 10H5M9 6l-4 4 4 4"/>'),
      t("history.close"),
    );
    fill(
      this.root,
      h("div", { class: "steps-column" }, h("div", { class: "steps-head" }, back), this.list),
      this.pane,
    );
    this.renderVersion();
  }

  item(step, current) {
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "step",
          "aria-current": String(step.change === this.chosen),
          dataset: { change: step.change },
          onclick: () => this.choose(step.change),
        },
        h("span", { class: "step-avatars" }, step.authors.slice(0, 3).map((a) => avatar(personName(a), a))),
        h(
          "span",
          {},
          current ? h("span", { class: "step-current" }, t("history.current")) : null,
          h("span", { class: "step-who" }, step.authors.join(", ")),
          h("span", { class: "step-when" }, when(step)),
          h("span", { class: "step-what" }, describe(step)),
          step.claimed?.length
            ? h("span", { class: "step-claimed" }, t("history.claimed", { names: step.claimed.join(", ") }))
            : null,
        ),
      ),
    );
  }

  async choose(change) {
    this.chosen = change;
    for (const button of this.list?.querySelectorAll(".step") ?? []) {
      button.setAttribute("aria-current", String(button.dataset.change === change));
    }
    try {
      this.version = await api.version(this.id, change);
      this.renderVersion();
    } catch (error) {
      this.app.toast(errorText(error), "error");
    }
  }

  renderVersion() {
    if (!this.pane) return;
    if (!this.version) {
      fill(this.pane, h("p", { class: "muted" }, t("history.pick")));
      return;
    }
    const body = h("textarea", { class: "version-body", id: "version-body", readonly: true, "aria-label": t("note.body.label") });
    body.value = this.version.body;
    fill(
      this.pane,
      h(
        "div",
        { class: "version-head" },
        h("h2", {}, t("history.version"), this.chosenStep() ? ` · ${when(this.chosenStep())}` : ""),
        h("button", { type: "button", class: "button", id: "version-copy", onclick: () => this.copy() }, t("history.copy")),
        h("button", { type: "button", class: "button primary", id: "version-restore", onclick: () => this.restore() }, t("history.restore")),
      ),
      h("p", { class: "version-title", id: "version-title" }, this.version.title || t("note.untitled")),
      body,
    );
  }

  chosenStep() {
    return this.steps?.find((s) => s.change === this.chosen) ?? null;
  }

  async copy() {
    const text = `${this.version.title}\n\n${this.version.body}`;
    try {
      await navigator.clipboard.writeText(text);
      this.app.toast(t("history.copied"));
    } catch {
      const area = this.pane.querySelector(".version-body");
      area.focus();
      area.select();
    }
  }

  async restore() {
    try {
      await api.restore(this.id, this.chosen);
      this.app.toast(t("history.restored"));
      this.app.listChanged();
      this.close();
    } catch (error) {
      this.app.toast(errorText(error), "error");
    }
  }
}

function when(step) {
  const from = formatTime(step.from);
  const to = formatTime(step.to);
  if (from === to) return from;
  const sameDay = step.from.slice(0, 10) === step.to.slice(0, 10);
  return sameDay ? `${from}–${formatClock(step.to)}` : `${from} – ${to}`;
}

/** What a step changed, in words. */
export function describe(step) {
  const s = step.summary;
  const parts = [];
  if (s.created) parts.push(t("history.created"));
  if (s.history_erased) {
    parts.push(t("history.erased", { day: formatDay(s.history_erased.before), by: s.history_erased.by }));
  }
  if (s.title) parts.push(t("history.title"));
  if (s.inserted || s.removed) parts.push(t("history.body", { ins: s.inserted, del: s.removed }));
  if (s.tags_added.length) parts.push(t("history.tags.added", { tags: s.tags_added.join(" ") }));
  if (s.tags_removed.length) parts.push(t("history.tags.removed", { tags: s.tags_removed.join(" ") }));
  if (s.date) parts.push(t("history.date"));
  if (s.place) parts.push(t("history.place"));
  if (s.participants) parts.push(t("history.participants"));
  if (s.moved_to_bin) parts.push(t("history.binned"));
  if (s.restored) parts.push(t("history.restored.step"));
  parts.push(...s.other);
  if (parts.length === 0 && s.edited) parts.push(t("history.edited"));
  const count = step.changes === 1 ? t("history.changes.one") : t("history.changes.many", { n: step.changes });
  return `${parts.join(" · ")} (${count})`;
}
