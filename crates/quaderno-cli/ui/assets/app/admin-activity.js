// "Registro attività": who did what in the group and when (never what a note says), newest
// first, a page at a time; the whole log as a CSV file for the coordinating body's records.

import { h, fill, icon } from "./dom.js";
import { t, formatDay, formatTime } from "./i18n.js";
import { api } from "./api.js";
import { adminError, roleName } from "./admin-common.js";
import { problem } from "./admin-members.js";
import { actorName } from "./admin-invites.js";

const PAGE = 50;

/** The acts the page has words for; any other is shown as the relay names it. */
const ACTIONS = [
  "group_created",
  "group_renamed",
  "joined",
  "device_linked",
  "role_changed",
  "member_removed",
  "invite_created",
  "invite_revoked",
  "device_revoked",
  "note_purged",
  "operator_added",
];

export class ActivityPanel {
  constructor(root, view) {
    this.root = root;
    this.view = view;
    this.events = null;
    this.more = false;
    this.error = null;
  }

  async load() {
    try {
      const { events } = await api.admin.activity(this.view.on, { limit: PAGE });
      this.events = events;
      this.more = events.length === PAGE;
      this.error = null;
    } catch (error) {
      this.error = error;
    }
    this.render();
  }

  async loadMore(button) {
    const before = this.events.at(-1)?.seq;
    button.disabled = true;
    try {
      const { events } = await api.admin.activity(this.view.on, { limit: PAGE, before });
      this.events.push(...events);
      this.more = events.length === PAGE;
      this.render();
      this.root.querySelector(`.event[data-seq="${events[0]?.seq}"]`)?.focus();
    } catch (error) {
      button.disabled = false;
      this.view.app.toast(adminError(error), "error");
    }
  }

  attach(root) {
    this.root = root;
    this.render();
  }

  render() {
    const head = h(
      "div",
      { class: "activity-head" },
      h("p", { class: "muted" }, t("admin.activity.intro")),
      h(
        "a",
        { class: "button", id: "activity-csv", href: api.admin.activityCsvUrl(this.view.on), download: "" },
        icon('<path d="M10 3v10M6 9l4 4 4-4M4 16h12"/>'),
        t("admin.activity.csv"),
      ),
    );
    if (this.error) return fill(this.root, head, problem(this.error, () => this.load()));
    if (!this.events) return fill(this.root, head, h("p", { class: "muted" }, t("admin.loading")));
    if (this.events.length === 0) return fill(this.root, head, h("p", { class: "muted" }, t("admin.activity.none")));
    fill(
      this.root,
      head,
      h("ol", { class: "activity-list", id: "activity-list" }, this.events.map((e) => event(e))),
      this.more
        ? h("button", { type: "button", class: "button", onclick: (ev) => this.loadMore(ev.currentTarget) }, t("admin.activity.more"))
        : null,
    );
  }
}

function event(e) {
  const what = ACTIONS.includes(e.action) ? t(`admin.action.${e.action}`) : e.action;
  const target = invite(e.target) ?? e.target;
  const detail = described(e.action, e.detail);
  return h(
    "li",
    { class: "event", dataset: { seq: String(e.seq), action: e.action }, tabindex: "-1" },
    h("time", { class: "event-when", datetime: e.at }, formatTime(e.at)),
    h(
      "span",
      { class: "event-what" },
      h("strong", {}, capitalized(actorName(e.actor))),
      " · ",
      what,
      e.target && e.target !== e.actor ? h("span", { class: "event-target" }, ` · ${target}`) : null,
    ),
    detail ? h("span", { class: "event-detail muted small" }, detail) : null,
  );
}

/** "invite 3", as the relay names an invite, in the page's language. */
function invite(target) {
  const m = /^invite (\d+)$/.exec(target ?? "");
  return m ? t("admin.activity.invite", { id: m[1] }) : null;
}

/** The relay records details in fixed English forms (kept so in its CSV); the page reads the
 *  ones it knows in its own language and shows any other as recorded. */
function described(action, detail) {
  if (!detail) return "";
  const role = (r) => (["reader", "editor", "admin"].includes(r) ? roleName(r) : r);
  let m;
  switch (action) {
    case "role_changed":
      if ((m = /^(\w+) → (\w+)$/.exec(detail))) return `${role(m[1])} → ${role(m[2])}`;
      break;
    case "joined":
      if ((m = /^(\w+) \(invite (\d+)\)$/.exec(detail))) {
        return t("admin.activity.joined", { role: role(m[1]), id: m[2] });
      }
      break;
    case "invite_created":
      if ((m = /^(\w+), (\d+) use\(s\), until (\d{4}-\d{2}-\d{2})$/.exec(detail))) {
        return t("admin.activity.invite_created", { role: role(m[1]), n: m[2], until: formatDay(m[3]) });
      }
      break;
    case "invite_revoked":
      if ((m = /^(\w+), (\d+) use\(s\) left$/.exec(detail))) {
        return t("admin.activity.invite_revoked", { role: role(m[1]), n: m[2] });
      }
      break;
    case "device_linked":
    case "device_revoked":
      if ((m = /^device \d+ «(.*)»$/.exec(detail))) return t("admin.activity.device", { name: m[1] });
      break;
    case "member_removed": {
      const parts = detail.split("; ").map((part) => {
        let p;
        if ((p = /^(\d+) device\(s\) revoked$/.exec(part))) return t("admin.activity.devices_revoked", { n: p[1] });
        if ((p = /^invite (\d+) revoked$/.exec(part))) return t("admin.activity.invite_gone", { id: p[1] });
        return null;
      });
      if (parts.every(Boolean)) return parts.join("; ");
      break;
    }
  }
  return detail;
}

function capitalized(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
