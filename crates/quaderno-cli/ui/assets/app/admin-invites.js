// "Inviti": a new invite (role, how many people, how long), the message to send for it, and
// every invite of the group with what is left of it; revoking one.

import { h, fill } from "./dom.js";
import { t, formatDay, formatTime } from "./i18n.js";
import { api } from "./api.js";
import { adminError, confirm, inviteMessage, readyCard, roleName, roleSelect } from "./admin-common.js";
import { problem } from "./admin-members.js";

export class InvitesPanel {
  constructor(root, view) {
    this.root = root;
    this.view = view;
    this.invites = null;
    this.error = null;
    this.ready = null;
    this.form = this.buildForm();
    this.readySlot = h("div", { class: "ready-slot" });
    this.list = h("div", { class: "invite-list-box" });
    fill(root, this.form, this.readySlot, this.list);
  }

  async load() {
    try {
      this.invites = (await api.admin.invites(this.view.on)).invites;
      this.error = null;
    } catch (error) {
      this.error = error;
    }
    this.renderList();
  }

  attach(root) {
    this.root = root;
    fill(root, this.form, this.readySlot, this.list);
    this.render();
  }

  render() {
    const keep = this.form.elements;
    const chosen = { role: keep.role.value, uses: keep.uses.value, days: keep.days.value };
    const form = this.buildForm(chosen);
    this.form.replaceWith(form);
    this.form = form;
    this.renderReady();
    this.renderList();
  }

  buildForm(chosen = { role: "editor", uses: "1", days: "7" }) {
    const field = (label, input, hint) =>
      h("label", { class: "field" }, h("span", {}, label), input, hint ? h("small", { class: "field-hint" }, hint) : null);
    const form = h(
      "form",
      { class: "invite-form", id: "invite-form", "aria-labelledby": "invite-form-title" },
      h("h3", { id: "invite-form-title" }, t("admin.invite.new")),
      h(
        "div",
        { class: "invite-fields" },
        field(t("admin.invite.role"), roleSelect({ name: "role", id: "invite-role" }, chosen.role)),
        field(
          t("admin.invite.uses"),
          h("input", { name: "uses", id: "invite-uses", type: "number", min: 1, max: 1000, step: 1, required: true, value: chosen.uses, inputmode: "numeric" }),
          t("admin.invite.uses.hint"),
        ),
        field(
          t("admin.invite.days"),
          h("input", { name: "days", id: "invite-days", type: "number", min: 1, max: 365, step: 1, required: true, value: chosen.days, inputmode: "numeric" }),
          t("admin.invite.days.hint"),
        ),
        h("div", { class: "invite-submit" }, h("button", { type: "submit", class: "button primary", id: "invite-create" }, t("admin.invite.create"))),
      ),
      h("p", { class: "form-error", role: "alert" }),
    );
    form.onsubmit = (event) => {
      event.preventDefault();
      this.create(form);
    };
    return form;
  }

  async create(form) {
    const data = new FormData(form);
    const invite = {
      role: String(data.get("role")),
      uses: Number(data.get("uses")),
      expires_in_days: Number(data.get("days")),
    };
    const button = form.querySelector("#invite-create");
    button.disabled = true;
    form.querySelector(".form-error").textContent = "";
    try {
      const made = await api.admin.createInvite(this.view.on, invite);
      this.ready = made;
      this.renderReady();
      this.readySlot.querySelector("#invite-ready")?.focus();
      await this.load();
    } catch (error) {
      form.querySelector(".form-error").textContent = adminError(error);
    } finally {
      button.disabled = false;
    }
  }

  renderReady() {
    if (!this.ready) return fill(this.readySlot);
    const { answer, join, qr_svg: qrSvg } = this.ready;
    const message = inviteMessage({
      title: this.view.title(),
      role: answer.role,
      code: answer.code,
      relay: answer.relay_url,
      uses: answer.uses,
      until: answer.expires_at,
    });
    fill(
      this.readySlot,
      readyCard({
        id: answer.id,
        heading: t("admin.ready.title", { role: roleName(answer.role) }),
        message,
        code: answer.code,
        join,
        qrSvg,
        toast: this.view.app.toast,
        onClose: () => {
          this.ready = null;
          this.renderReady();
          this.form.querySelector("#invite-create").focus();
        },
      }),
    );
  }

  renderList() {
    if (this.error) return fill(this.list, problem(this.error, () => this.load()));
    if (!this.invites) return fill(this.list, h("p", { class: "muted" }, t("admin.loading")));
    const heading = h("h3", { id: "invite-list-title" }, t("admin.invites.heading"));
    if (this.invites.length === 0) return fill(this.list, heading, h("p", { class: "muted" }, t("admin.invites.none")));
    fill(
      this.list,
      heading,
      h("ul", { class: "invite-list", id: "invite-list", "aria-labelledby": "invite-list-title" }, this.invites.map((i) => this.invite(i))),
    );
  }

  invite(i) {
    const active = i.state === "active";
    return h(
      "li",
      { class: `invite ${i.state}`, dataset: { invite: String(i.id), state: i.state } },
      h(
        "div",
        { class: "invite-main" },
        h("strong", {}, roleName(i.role)),
        h("span", { class: `state-chip ${i.state}` }, t(`admin.invite.state.${i.state}`)),
      ),
      h("span", { class: "invite-uses" }, t("admin.invite.left", { left: i.uses_left, uses: i.uses })),
      h(
        "span",
        { class: "invite-when" },
        i.revoked_at
          ? t("admin.invite.revoked_at", { when: formatTime(i.revoked_at) })
          : t(i.state === "expired" ? "admin.invite.expired_at" : "admin.invite.until", { when: formatDay(i.expires_at.slice(0, 10)) }),
      ),
      h("span", { class: "invite-by muted small" }, t("admin.invite.by", { who: actorName(i.created_by), when: formatTime(i.created_at) })),
      active
        ? h(
            "button",
            {
              type: "button",
              class: "button small-button invite-revoke",
              "aria-label": t("admin.invite.revoke.label", { role: roleName(i.role), when: formatDay(i.expires_at.slice(0, 10)) }),
              onclick: () => this.revoke(i),
            },
            t("admin.revoke"),
          )
        : h("span"),
    );
  }

  async revoke(i) {
    const sure = await confirm({
      title: t("admin.invite.revoke.title"),
      intro: t("admin.invite.revoke.intro", { role: roleName(i.role) }),
      points: [t("admin.invite.revoke.point.code"), t("admin.invite.revoke.point.members")],
      action: t("admin.revoke"),
    });
    if (!sure) return;
    try {
      await api.admin.revokeInvite(this.view.on, i.id);
      this.view.app.toast(t("admin.invite.revoke.done"));
      await this.load();
    } catch (error) {
      this.view.app.toast(adminError(error), "error");
    }
  }
}

/** A participant's name, or the relay's command line for `cli:USER` (lower case: it may
 *  follow "Creato da:"). */
export function actorName(actor) {
  if (!actor?.startsWith("cli:")) return actor;
  const user = actor.slice(4);
  return user && user !== "unknown" ? t("admin.actor.cli.user", { user }) : t("admin.actor.cli");
}
