// The list of notes: what the group and the filters select, or what the search finds.

import { h, fill, marked } from "./dom.js";
import { t, formatDay, formatAgo } from "./i18n.js";

export function renderList(ul, list, { selected, showGroup, groupTitle, searching, bin, choose }) {
  if (!list || list.notes.length === 0) {
    const reason = searching ? t("list.empty.search") : bin ? t("list.empty.bin") : t("list.empty");
    fill(
      ul,
      h("li", { class: "empty" }, h("strong", {}, reason), searching || bin ? null : t("list.empty.hint")),
    );
    return;
  }
  const items = list.notes.map((note) => item(note, { selected, showGroup, groupTitle, choose }));
  if (list.truncated) items.push(h("li", { class: "empty small" }, t("list.truncated")));
  fill(ul, items);
}

function item(note, { selected, showGroup, groupTitle, choose }) {
  const day = note.meeting_date ? formatDay(note.meeting_date) : null;
  const meta = [
    day,
    note.place,
    t("list.changed", { when: formatAgo(note.updated_at) }),
  ].filter(Boolean);
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: "note-item",
        "aria-current": note.id === selected ? "true" : "false",
        dataset: { note: note.id },
        onclick: () => choose(note.id),
      },
      showGroup ? h("span", { class: "group-chip" }, groupTitle(note.group)) : null,
      h("span", { class: "note-title" }, note.title || t("note.untitled")),
      h(
        "span",
        { class: "note-meta" },
        meta.map((part, i) => h("span", { class: i > 0 ? "sep" : "" }, part)),
      ),
      note.snippet ? h("span", { class: "note-snippet" }, marked(note.snippet)) : null,
      note.tags.length ? h("span", { class: "tags" }, note.tags.map((tag) => h("span", { class: "tag" }, tag))) : null,
    ),
  );
}

/** The options of a filter's select: "any" first, then the values, keeping `current`. */
export function renderOptions(select, values, anyLabel, current) {
  const all = current && !values.includes(current) ? [current, ...values] : values;
  fill(
    select,
    h("option", { value: "" }, anyLabel),
    all.map((value) => h("option", { value, selected: value === current }, value)),
  );
  select.value = current ?? "";
}
