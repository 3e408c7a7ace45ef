// "Gestione del gruppo" for a group's admins (members, invites, the activity log, the notes
// erased for everyone) and "Gestione dei gruppi" for a relay's operators, in the place of the
// list and the note.
// Everything goes through Quaderno on this computer, which calls the relay with this device's
// token; the relay decides, and this view only shows what it may offer (`/api/admin/access`).

import { h, fill, icon } from "./dom.js";
import { t } from "./i18n.js";
import { api } from "./api.js";
import { MembersPanel } from "./admin-members.js";
import { InvitesPanel } from "./admin-invites.js";
import { ActivityPanel } from "./admin-activity.js";
import { ErasuresPanel } from "./admin-erasures.js";
import { RelayPanel } from "./admin-relay.js";

const TABS = ["members", "invites", "activity", "erasures"];

/** How often the members' "online now" is asked again while the view is open. */
const REFRESH_MS = 30000;

export class AdminView {
  /** `root` is the pane, `shell` the page's grid (its `data-view` says what is shown). */
  constructor({ root, shell, app }) {
    this.root = root;
    this.shell = shell;
    this.app = app;
    this.relays = [];
    this.target = null;
    this.accessKey = null;
    this.timer = null;
  }

  // --- What this computer may govern --------------------------------------------------------

  async loadAccess() {
    try {
      this.relays = (await api.admin.access()).relays;
    } catch {
      // Quaderno here did not answer: keep what was known; the sidebar says nothing new.
    }
    document.body.dataset.access = "known";
  }

  /** Asks again when the groups or their roles changed (a join, a promotion). */
  overviewChanged(overview) {
    const key = JSON.stringify((overview?.groups ?? []).map((g) => [g.slug, g.role]));
    if (key === this.accessKey) return false;
    this.accessKey = key;
    return true;
  }

  relayOf(slug) {
    const local = this.app.group(slug);
    return (
      this.relays.find((r) => r.groups.some((g) => g.slug === slug)) ??
      this.relays.find((r) => local?.relay && r.url === local.relay) ??
      null
    );
  }

  /** An admin of the group, or an operator of its relay; the local role counts while the
   *  relay cannot be asked. */
  canGovern(slug) {
    const relay = this.relayOf(slug);
    const group = relay?.groups.find((g) => g.slug === slug);
    return !!(relay?.operator || group?.admin || (!relay?.reachable && this.app.group(slug)?.role === "admin"));
  }

  operatorRelays() {
    return this.relays.filter((r) => r.operator);
  }

  // --- In the sidebar -----------------------------------------------------------------------

  /** "Gestione del gruppo" under the chosen group, when this computer may govern it. */
  decorate(list, current) {
    if (this.target && (!this.target.group || this.target.fromRelay)) {
      // The relay's view is what is shown, not a group of the sidebar.
      for (const button of list.querySelectorAll(".group-button")) button.setAttribute("aria-current", "false");
      return;
    }
    for (const button of list.querySelectorAll(".group-button")) {
      const slug = button.dataset.group;
      if (!slug || slug !== current || !this.canGovern(slug)) continue;
      const open = this.target?.group === slug && !this.target.fromRelay;
      button.parentElement.append(
        h(
          "button",
          {
            type: "button",
            class: "group-admin",
            dataset: { adminGroup: slug },
            "aria-pressed": String(open),
            onclick: () => this.openGroup({ group: slug, title: this.app.groupTitle(slug) }),
          },
          gearIcon(),
          h("span", {}, t("admin.entry")),
        ),
      );
    }
  }

  /** "Gestione dei gruppi" for each relay this computer is an operator of. */
  renderRelays(box) {
    const relays = this.operatorRelays();
    box.hidden = relays.length === 0;
    fill(
      box,
      h("h2", { class: "side-heading" }, t("admin.relays.heading")),
      h(
        "ul",
        { class: "groups" },
        relays.map((r) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                class: "group-button relay-admin",
                dataset: { adminRelay: r.url },
                "aria-current": String(this.target?.url === r.url && (!this.target.group || !!this.target.fromRelay)),
                onclick: () => this.openRelay(r.url),
              },
              h("span", { class: "state-dot all", "aria-hidden": "true" }),
              h("span", { class: "group-name" }, t("admin.relay.entry")),
              h("span"),
              h("span", { class: "group-sub" }, hostOf(r.url)),
            ),
          ),
        ),
      ),
    );
  }

  // --- The view -----------------------------------------------------------------------------

  isOpen() {
    return this.target !== null;
  }

  /** A group's administration; `relay` for a group not joined here (an operator's). */
  openGroup({ group, relay = null, title = group, fromRelay = null }) {
    this.stop();
    const relayEntry = relay ? this.relays.find((r) => r.url === relay) : this.relayOf(group);
    this.target = { group, relay, title, fromRelay, url: relayEntry?.url ?? this.app.group(group)?.relay ?? "" };
    this.me = { participant_id: relayEntry?.participant_id ?? null, device_id: relayEntry?.device_id ?? null };
    this.panel = null;
    this.panels = null;
    this.show();
    this.renderGroup();
    for (const panel of Object.values(this.panels)) panel.load();
    this.timer = setInterval(() => this.refreshMembers(), REFRESH_MS);
  }

  /** A relay's groups and operators, for its operators. */
  openRelay(url) {
    this.stop();
    this.target = { group: null, relay: url, url };
    this.panels = null;
    this.show();
    this.panel = new RelayPanel(this.root, { url, app: this.app, view: this });
    this.panel.load();
    this.app.sidebarChanged();
  }

  close({ focus = false } = {}) {
    if (!this.target) return;
    this.stop();
    const slug = this.target.group;
    this.target = null;
    this.panel = null;
    this.panels = null;
    this.shell.dataset.view = "notes";
    this.root.hidden = true;
    fill(this.root);
    this.app.sidebarChanged();
    if (focus) document.querySelector(`.group-button[data-group="${CSS.escape(slug ?? "")}"]`)?.focus();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  show() {
    this.shell.dataset.view = "admin";
    this.root.hidden = false;
    this.root.scrollTop = 0;
  }

  languageChanged() {
    if (!this.target) return;
    if (this.target.group) {
      this.renderGroup(this.tab);
    } else {
      this.panel.render();
    }
  }

  /** The name the relay gives the group (after a rename, or for a group not joined here). */
  named(group) {
    if (!this.target || group.slug !== this.target.group || group.title === this.target.title) return;
    this.target.title = group.title;
    fill(this.root.querySelector("#admin-title"), group.title);
  }

  renderGroup(tab = "members") {
    const target = this.target;
    const back = target.fromRelay
      ? h("button", { type: "button", class: "button ghost", id: "admin-back", onclick: () => this.openRelay(target.fromRelay) }, backIcon(), t("admin.back.relay"))
      : h("button", { type: "button", class: "button ghost", id: "admin-back", onclick: () => this.close({ focus: true }) }, backIcon(), t("admin.back"));
    const tabs = TABS.map((name) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `admin-tab-${name}`,
          "aria-controls": `admin-panel-${name}`,
          "aria-selected": String(name === tab),
          tabindex: name === tab ? "0" : "-1",
          onclick: () => this.choose(name),
          onkeydown: (event) => this.tabKey(event, name),
        },
        t(`admin.tab.${name}`),
      ),
    );
    const panelBoxes = Object.fromEntries(
      TABS.map((name) => [
        name,
        h("div", { class: "admin-panel", role: "tabpanel", id: `admin-panel-${name}`, "aria-labelledby": `admin-tab-${name}`, hidden: name !== tab }),
      ]),
    );
    fill(
      this.root,
      h("div", { class: "admin-bar" }, back),
      h(
        "div",
        { class: "admin-body", dataset: { group: target.group } },
        h(
          "header",
          { class: "admin-head" },
          h("p", { class: "admin-kicker" }, t("admin.kicker")),
          h("h1", { id: "admin-title", tabindex: "-1" }, target.title),
          target.url ? h("p", { class: "muted small" }, t("status.relay", { url: target.url })) : null,
        ),
        h("div", { class: "admin-tabs", role: "tablist", "aria-label": t("admin.tabs.label") }, tabs),
        Object.values(panelBoxes),
      ),
    );
    this.tab = tab;
    if (!this.panels) {
      this.panels = {
        members: new MembersPanel(panelBoxes.members, this),
        invites: new InvitesPanel(panelBoxes.invites, this),
        activity: new ActivityPanel(panelBoxes.activity, this),
        erasures: new ErasuresPanel(panelBoxes.erasures, this),
      };
      this.root.querySelector("#admin-title").focus();
      this.app.sidebarChanged();
    } else {
      for (const name of TABS) this.panels[name].attach(panelBoxes[name]);
    }
  }

  choose(name, focus = false) {
    this.tab = name;
    for (const other of TABS) {
      const button = this.root.querySelector(`#admin-tab-${other}`);
      button.setAttribute("aria-selected", String(other === name));
      button.tabIndex = other === name ? 0 : -1;
      this.root.querySelector(`#admin-panel-${other}`).hidden = other !== name;
    }
    const chosen = this.root.querySelector(`#admin-tab-${name}`);
    chosen.scrollIntoView({ block: "nearest", inline: "nearest" });
    if (focus) chosen.focus();
    // Devices confirm an erasure as they connect: the receipts are asked again when shown.
    if (name === "erasures") this.panels?.erasures.load();
  }

  tabKey(event, name) {
    const i = TABS.indexOf(name);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    this.choose(TABS[(next + TABS.length) % TABS.length], true);
  }

  /** Something changed on the relay: the log (and what else `from` touched) is out of date. */
  changed(from) {
    if (!this.panels) return;
    this.panels.activity.load();
    if (from === "members") this.panels.invites.load();
  }

  /** Who is online now, asked again unless the person is working in the list. */
  refreshMembers() {
    const panel = this.panels?.members;
    if (!panel || document.hidden || document.querySelector("dialog[open]")) return;
    if (panel.root.contains(document.activeElement)) return;
    panel.load();
  }

  /** The group's routes name the relay only for a group not joined here. */
  get on() {
    return { group: this.target.group, relay: this.target.relay };
  }

  title() {
    return this.target?.title ?? "";
  }
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

const gearIcon = () =>
  icon('<circle cx="10" cy="10" r="2.6"/><path d="M10 2.8v2M10 15.2v2M2.8 10h2M15.2 10h2M4.9 4.9l1.4 1.4M13.7 13.7l1.4 1.4M4.9 15.1l1.4-1.4M13.7 6.3l1.4-1.4"/>');
const backIcon = () => icon('<path d="M12 5l-5 5 5 5"/>');
