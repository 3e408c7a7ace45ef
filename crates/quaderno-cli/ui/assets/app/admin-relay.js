// "Gestione dei gruppi", for the relay's operators (the coordinating body): every group of
// the relay, a new group, a new title, the first admin of a group (an admin invite), and the
// operators, with a code for one more.

import { h, fill, icon } from "./dom.js";
import { t, formatDay } from "./i18n.js";
import { api } from "./api.js";
import { adminError, inviteMessage, readyCard } from "./admin-common.js";
import { problem } from "./admin-members.js";

/** How long the codes made here are valid, in days. */
const CODE_DAYS = 7;

export class RelayPanel {
  constructor(root, { url, app, view }) {
    this.root = root;
    this.url = url;
    this.app = app;
    this.view = view;
    this.groups = null;
    this.operators = null;
    this.error = null;
    this.ready = null;
    this.renaming = null;
    this.draft = { title: "", slug: "", slugTouched: false };
  }

  async load() {
    try {
      const [groups, operators] = await Promise.all([api.admin.groups(this.url), api.admin.operators(this.url)]);
      this.groups = groups.groups;
      this.operators = operators.operators;
      this.error = null;
    } catch (error) {
      this.error = error;
    }
    this.render();
  }

  render() {
    fill(
      this.root,
      h(
        "div",
        { class: "admin-bar" },
        h("button", { type: "button", class: "button ghost", id: "admin-back", onclick: () => this.view.close({ focus: true }) }, backIcon(), t("admin.back")),
      ),
      h(
        "div",
        { class: "admin-body relay-body", dataset: { relay: this.url } },
        h(
          "header",
          { class: "admin-head" },
          h("p", { class: "admin-kicker" }, t("admin.relay.kicker")),
          h("h1", { id: "admin-title", tabindex: "-1" }, t("admin.relay.entry")),
          h("p", { class: "muted small" }, t("status.relay", { url: this.url })),
        ),
        this.error ? problem(this.error, () => this.load()) : this.body(),
      ),
    );
  }

  body() {
    if (!this.groups) return h("p", { class: "muted" }, t("admin.loading"));
    return [
      h("div", { class: "ready-slot" }, this.readyNow()),
      h(
        "section",
        { class: "admin-section", "aria-labelledby": "relay-groups-title" },
        h("h2", { id: "relay-groups-title" }, t("admin.relay.groups")),
        this.groups.length === 0
          ? h("p", { class: "muted" }, t("admin.relay.groups.none"))
          : h("ul", { class: "relay-groups", id: "relay-groups" }, this.groups.map((g) => this.group(g))),
        this.newGroupForm(),
      ),
      h(
        "section",
        { class: "admin-section", "aria-labelledby": "relay-operators-title" },
        h("h2", { id: "relay-operators-title" }, t("admin.relay.operators")),
        h(
          "ul",
          { class: "operator-list", id: "operator-list" },
          this.operators.map((o) =>
            h(
              "li",
              { class: "operator", dataset: { participant: String(o.participant_id) } },
              h("strong", {}, o.name),
              h("span", { class: "muted" }, t("admin.operator.sub", { city: o.city, since: formatDay(o.since.slice(0, 10)) })),
            ),
          ),
        ),
        h("p", { class: "muted small" }, t("admin.operator.intro")),
        h("button", { type: "button", class: "button", id: "operator-invite", onclick: (e) => this.inviteOperator(e.currentTarget) }, t("admin.operator.invite")),
      ),
    ];
  }

  group(g) {
    const renaming = this.renaming === g.slug;
    const counts = [
      g.members === 1 ? t("admin.relay.members.one") : t("admin.relay.members.many", { n: g.members }),
      g.admins === 1 ? t("admin.relay.admins.one") : t("admin.relay.admins.many", { n: g.admins }),
    ].join(" · ");
    return h(
      "li",
      { class: "relay-group", dataset: { slug: g.slug } },
      h(
        "div",
        { class: "relay-group-main" },
        h("strong", { class: "relay-group-title" }, g.title),
        h("span", { class: "muted small" }, h("code", {}, g.slug), " · ", counts),
        g.admins === 0 ? h("span", { class: "state-chip expired" }, t("admin.relay.no_admin")) : null,
      ),
      renaming ? this.renameForm(g) : null,
      h(
        "div",
        { class: "relay-group-actions" },
        h(
          "button",
          { type: "button", class: "button", onclick: () => this.view.openGroup({ group: g.slug, relay: this.url, title: g.title, fromRelay: this.url }) },
          t("admin.relay.open"),
        ),
        h(
          "button",
          { type: "button", class: `button admin-invite ${g.admins === 0 ? "primary" : ""}`, "aria-label": t("admin.relay.appoint.label", { title: g.title }), onclick: (e) => this.appoint(g, e.currentTarget) },
          t("admin.relay.appoint"),
        ),
        renaming
          ? null
          : h(
              "button",
              { type: "button", class: "button ghost", "aria-label": t("admin.relay.rename.label", { title: g.title }), onclick: () => this.startRename(g) },
              t("admin.relay.rename"),
            ),
      ),
    );
  }

  renameForm(g) {
    const input = h("input", { name: "title", id: `rename-${g.slug}`, required: true, maxlength: 200, value: g.title, autocomplete: "off" });
    const form = h(
      "form",
      { class: "rename-form" },
      h("label", { class: "field" }, h("span", {}, t("admin.relay.rename.field")), input),
      h(
        "div",
        { class: "form-row-actions" },
        h("button", { type: "button", class: "button", onclick: () => this.stopRename(g) }, t("dialog.cancel")),
        h("button", { type: "submit", class: "button primary" }, t("admin.relay.rename.save")),
      ),
      h("p", { class: "form-error", role: "alert" }),
    );
    form.onsubmit = async (event) => {
      event.preventDefault();
      try {
        const renamed = await api.admin.renameGroup(this.url, g.slug, input.value.trim());
        Object.assign(g, renamed);
        this.renaming = null;
        this.render();
        this.app.toast(t("admin.relay.rename.done", { title: renamed.title }));
        this.focusGroup(g.slug, ".relay-group-title");
      } catch (error) {
        form.querySelector(".form-error").textContent = adminError(error);
      }
    };
    return form;
  }

  startRename(g) {
    this.renaming = g.slug;
    this.render();
    const input = this.root.querySelector(`#rename-${CSS.escape(g.slug)}`);
    input?.focus();
    input?.select();
  }

  stopRename(g) {
    this.renaming = null;
    this.render();
    this.focusGroup(g.slug, ".relay-group-actions .button.ghost");
  }

  focusGroup(slug, selector) {
    const item = this.root.querySelector(`.relay-group[data-slug="${CSS.escape(slug)}"]`);
    const target = item?.querySelector(selector);
    if (target && !target.matches("button, input, a")) target.tabIndex = -1;
    target?.focus();
  }

  newGroupForm() {
    const draft = this.draft;
    const title = h("input", { name: "title", id: "group-title", required: true, maxlength: 200, autocomplete: "off", value: draft.title });
    const slug = h("input", {
      name: "slug",
      id: "group-slug",
      required: true,
      minlength: 2,
      maxlength: 64,
      pattern: "[a-z0-9][a-z0-9\\-]{1,63}",
      autocomplete: "off",
      spellcheck: "false",
      value: draft.slug,
      "aria-describedby": "group-slug-hint",
    });
    title.addEventListener("input", () => {
      draft.title = title.value;
      if (!draft.slugTouched) slug.value = draft.slug = slugFrom(title.value);
    });
    slug.addEventListener("input", () => {
      draft.slug = slug.value;
      draft.slugTouched = slug.value !== "";
    });
    const form = h(
      "form",
      { class: "invite-form", id: "group-form", "aria-labelledby": "group-form-title" },
      h("h3", { id: "group-form-title" }, t("admin.relay.new")),
      h(
        "div",
        { class: "invite-fields group-fields" },
        h("label", { class: "field" }, h("span", {}, t("admin.relay.new.title")), title),
        h(
          "label",
          { class: "field" },
          h("span", {}, t("admin.relay.new.slug")),
          slug,
          h("small", { class: "field-hint", id: "group-slug-hint" }, t("admin.relay.new.slug.hint")),
        ),
        h("div", { class: "invite-submit" }, h("button", { type: "submit", class: "button primary" }, t("admin.relay.new.create"))),
      ),
      h("p", { class: "form-error", role: "alert" }),
    );
    form.onsubmit = async (event) => {
      event.preventDefault();
      try {
        const made = await api.admin.createGroup(this.url, slug.value.trim(), title.value.trim());
        this.draft = { title: "", slug: "", slugTouched: false };
        await this.load();
        this.app.toast(t("admin.relay.new.done", { title: made.title }));
        this.focusGroup(made.slug, ".admin-invite");
      } catch (error) {
        form.querySelector(".form-error").textContent = adminError(error);
      }
    };
    return form;
  }

  /** The first (or one more) admin of a group: an admin invite, one person, a week. */
  async appoint(g, button) {
    button.disabled = true;
    try {
      const made = await api.admin.createInvite({ group: g.slug, relay: this.url }, { role: "admin", uses: 1, expires_in_days: CODE_DAYS });
      this.ready = { group: g, made };
      this.showReady();
    } catch (error) {
      button.disabled = false;
      this.app.toast(adminError(error), "error");
    }
  }

  async inviteOperator(button) {
    button.disabled = true;
    try {
      const made = await api.admin.inviteOperator(this.url, CODE_DAYS);
      this.ready = { group: null, made };
      this.showReady();
    } catch (error) {
      button.disabled = false;
      this.app.toast(adminError(error), "error");
    }
  }

  showReady() {
    this.render();
    const card = this.root.querySelector("#invite-ready");
    card?.scrollIntoView({ block: "start" });
    card?.focus();
  }

  /** The card of the code just made, in the page's language: an admin invite for `group`, or
   *  (with no group) a code for one more operator. */
  readyNow() {
    if (!this.ready) return null;
    const { group, made } = this.ready;
    const a = made.answer;
    const common = { code: a.code, relay: a.relay_url, uses: 1, until: a.expires_at, role: "admin" };
    return readyCard({
      heading: group ? t("admin.relay.appoint.ready", { title: group.title }) : t("admin.operator.ready"),
      message: group ? inviteMessage({ ...common, title: group.title }) : inviteMessage({ ...common, operator: true }),
      code: a.code,
      join: made.join,
      qrSvg: made.qr_svg,
      toast: this.app.toast,
      onClose: () => {
        this.ready = null;
        this.render();
        this.root.querySelector("#admin-title")?.focus();
      },
    });
  }
}

/** "Care leaver Prato" -> "care-leaver-prato": what the relay accepts as a group's name. */
export function slugFrom(title) {
  return title
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
}

const backIcon = () => icon('<path d="M12 5l-5 5 5 5"/>');
