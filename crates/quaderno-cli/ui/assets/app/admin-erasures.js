// "Cancellazioni": the notes erased from the group for everyone, newest first: who erased each
// one, when and why (the relay never keeps what it said), and which computers of the group
// have confirmed deleting it.

import { h, fill, icon } from "./dom.js";
import { t, formatTime } from "./i18n.js";
import { api } from "./api.js";
import { problem } from "./admin-members.js";
import { actorName } from "./admin-invites.js";

/** How often the receipts are asked again while some are missing and the tab is shown. */
const PENDING_MS = 5000;

/** How much of a note's id is shown: as much as `quaderno list` shows. */
const SHORT_ID = 8;

export class ErasuresPanel {
  constructor(root, view) {
    this.root = root;
    this.view = view;
    this.erasures = null;
    this.error = null;
    this.timer = null;
  }

  async load() {
    clearTimeout(this.timer);
    try {
      this.erasures = (await api.admin.erasures(this.view.on)).erasures;
      this.error = null;
    } catch (error) {
      this.error = error;
    }
    this.render();
    if (this.erasures?.some((e) => e.devices.some((d) => !d.confirmed_at))) {
      this.timer = setTimeout(() => this.refresh(), PENDING_MS);
    }
  }

  /** Asked again only while the tab is on screen; choosing it again asks at once. */
  refresh() {
    if (!this.root.isConnected || this.root.hidden || document.hidden) return;
    this.load();
  }

  attach(root) {
    this.root = root;
    this.render();
  }

  render() {
    const head = h("p", { class: "muted erasures-intro" }, t("admin.erasures.intro"));
    if (this.error) return fill(this.root, head, problem(this.error, () => this.load()));
    if (!this.erasures) return fill(this.root, head, h("p", { class: "muted" }, t("admin.loading")));
    if (this.erasures.length === 0) return fill(this.root, head, h("p", { class: "muted" }, t("admin.erasures.none")));
    fill(this.root, head, h("ol", { class: "erasure-list", id: "erasure-list" }, this.erasures.map(erasure)));
  }
}

function erasure(e) {
  const confirmed = e.devices.filter((d) => d.confirmed_at).length;
  const complete = confirmed === e.devices.length;
  return h(
    "li",
    { class: "erasure", dataset: { erasure: String(e.id), confirmed: String(confirmed), devices: String(e.devices.length) } },
    h(
      "div",
      { class: "erasure-head" },
      h("time", { class: "event-when", datetime: e.erased_at }, formatTime(e.erased_at)),
      h(
        "span",
        { class: "erasure-what" },
        `${t("admin.erasures.by")} `,
        h("strong", {}, actorName(e.erased_by)),
        ` · ${t("admin.erasures.note")} `,
        h("code", { class: "erasure-doc", title: e.doc }, e.doc.slice(0, SHORT_ID)),
      ),
      h("span", { class: `state-chip ${complete ? "active" : "expired"} erasure-count` }, count(confirmed, e.devices.length)),
    ),
    h("p", { class: "erasure-reason" }, h("span", { class: "ready-label" }, t("admin.erasures.reason")), " ", e.reason),
    h("ul", { class: "device-list erasure-devices" }, e.devices.map((d) => receipt(d, e.erased_at))),
  );
}

/** "3 dispositivi su 4 hanno confermato". */
function count(confirmed, devices) {
  if (devices === 0) return t("admin.erasures.count.none");
  return t(confirmed === 1 ? "admin.erasures.count.one" : "admin.erasures.count.many", { n: confirmed, total: devices });
}

function receipt(d, erasedAt) {
  const state = d.confirmed_at
    ? t("admin.erasures.confirmed", { when: formatTime(d.confirmed_at) })
    : d.last_seen_at && new Date(d.last_seen_at) >= new Date(erasedAt)
      ? t("admin.erasures.pending.seen", { when: formatTime(d.last_seen_at) })
      : t("admin.erasures.pending.unseen");
  return h(
    "li",
    { class: `device erasure-device ${d.confirmed_at ? "confirmed" : "pending"}`, dataset: { device: String(d.device_id), confirmed: String(!!d.confirmed_at) } },
    d.confirmed_at ? checkIcon() : waitIcon(),
    h("span", { class: "device-name" }, h("strong", {}, d.participant), h("span", {}, d.device)),
    h("span", { class: "device-state" }, state),
  );
}

const checkIcon = () => icon('<path d="M4.5 10.5l3.5 3.5 7.5-8"/>');
const waitIcon = () => icon('<circle cx="10" cy="10" r="7"/><path d="M10 6v4l2.5 1.5"/>');
