// A note's history: who changed it, when and what, newest first; the note as it was after any
// step; copying its text, or taking the old title and text back into the note.

import { h, fill, icon, personName } from "./dom.js";
import { t, has, formatTime, formatClock, formatDay, errorText } from "./i18n.js";
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
    const body = h("textarea", { class: "version-body", id: "version-body", readonly: true, "aria-label": t("history.whole") });
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
      this.version.diff ? renderDiff(this.version.diff) : null,
      h("h3", { class: "version-sub" }, t("history.whole")),
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

/** What a step changed, in words, after the names of who made it: "ha aggiunto 2 righe in
 *  «Decisioni», ha cambiato il titolo". */
export function describe(step) {
  const s = step.summary;
  const plural = step.authors.length > 1;
  const say = (key, vars) => t(plural && has(`${key}.pl`) ? `${key}.pl` : key, vars);
  const parts = [];
  if (s.created) parts.push(say("history.created"));
  if (s.history_erased) {
    parts.push(t("history.erased", { day: formatDay(s.history_erased.before), by: s.history_erased.by }));
  }
  if (s.title) parts.push(say("history.title"));
  if (!s.created && step.text) parts.push(...lines(step.text, say));
  else if (!s.created && (s.inserted || s.removed)) parts.push(say("history.body"));
  if (s.tags_added.length) parts.push(say("history.tags.added", { tags: s.tags_added.join(", ") }));
  if (s.tags_removed.length) parts.push(say("history.tags.removed", { tags: s.tags_removed.join(", ") }));
  if (s.date) parts.push(say("history.date"));
  if (s.place) parts.push(say("history.place"));
  if (s.participants) parts.push(say("history.participants"));
  if (s.moved_to_bin) parts.push(say("history.binned"));
  if (s.restored) parts.push(say("history.restored.step"));
  parts.push(...s.other);
  if (parts.length === 0) parts.push(say("history.edited"));
  return parts.join(", ");
}

/** "ha aggiunto 2 righe", "ha cambiato 1 riga", "ha tolto 3 righe", the last with the sections
 *  they are in. */
function lines(text, say) {
  const count = (n) => (n === 1 ? t("history.lines.one") : t("history.lines.many", { n }));
  const parts = [];
  if (text.added) parts.push(`${say("history.verb.added")} ${count(text.added)}`);
  if (text.changed) parts.push(`${say("history.verb.changed")} ${count(text.changed)}`);
  if (text.removed) parts.push(`${say("history.verb.removed")} ${count(text.removed)}`);
  const [a, b] = text.sections;
  const where =
    text.sections.length === 1
      ? t("history.in.one", { a })
      : text.sections.length === 2
        ? t("history.in.two", { a, b })
        : text.sections.length > 2
          ? t("history.in.many", { n: text.sections.length })
          : "";
  if (where && parts.length) parts[parts.length - 1] += ` ${where}`;
  return parts;
}

/** Lines kept around each change; longer runs of unchanged lines fold into one line. */
const CONTEXT = 2;

/** The difference the step made: lines added and taken away marked (in words too, for screen
 *  readers), unchanged stretches folded. */
function renderDiff(diff) {
  const changed = diff.some((line) => line.kind !== "same");
  const box = h("div", { class: "version-diff", id: "version-diff" });
  if (!changed) {
    return h("section", { class: "diff-section" }, h("h3", { class: "version-sub" }, t("history.diff")), h("p", { class: "muted" }, t("history.diff.none")));
  }
  const near = diff.map((_, i) => diff.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((l) => l.kind !== "same"));
  let folded = 0;
  const fold = () => {
    if (folded) box.append(h("div", { class: "diff-fold" }, t("history.diff.same", { n: folded })));
    folded = 0;
  };
  diff.forEach((line, i) => {
    if (line.kind === "same" && !near[i]) {
      folded++;
      return;
    }
    fold();
    const mark = line.kind === "added" ? "+" : line.kind === "removed" ? "−" : " ";
    const tag = line.kind === "added" ? "ins" : line.kind === "removed" ? "del" : "div";
    box.append(
      h(
        tag,
        { class: `diff-line ${line.kind}` },
        h("span", { class: "diff-mark", "aria-hidden": "true" }, mark),
        line.kind === "same" ? null : h("span", { class: "visually-hidden" }, `${t(`history.diff.${line.kind}`)}: `),
        h("span", { class: "diff-text" }, line.text || "\u00a0"),
      ),
    );
  });
  fold();
  return h("section", { class: "diff-section" }, h("h3", { class: "version-sub" }, t("history.diff")), box);
}
