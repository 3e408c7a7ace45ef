// "Membri": each person once, with their role, their devices, and whether they are here now;
// changing a role, revoking a device, removing someone from the group.

import { h, fill, icon } from "./dom.js";
import { t, formatDay, formatTime } from "./i18n.js";
import { api } from "./api.js";
import { avatar } from "./editor.js";
import { adminError, confirm, roleName, roleSelect, seen } from "./admin-common.js";

export class MembersPanel {
  /** `view` gives `on` ({group, relay}), `me` ({participant_id, device_id}), `title()`,
   *  `app` (toast), and `changed()` (other panels may need reloading). */
  constructor(root, view) {
    this.root = root;
    this.view = view;
    this.members = null;
    this.error = null;
  }

  async load() {
    try {
      const answer = await api.admin.members(this.view.on);
      this.members = answer.members;
      this.view.named(answer.group);
      this.error = null;
    } catch (error) {
      this.error = error;
    }
    this.render();
  }

  /** Draws into a new box (the view was drawn again, in another language). */
  attach(root) {
    this.root = root;
    this.render();
  }

  render() {
    if (this.error) return fill(this.root, problem(this.error, () => this.load()));
    if (!this.members) return fill(this.root, h("p", { class: "muted" }, t("admin.loading")));
    const online = this.members.filter((m) => m.online).length;
    fill(
      this.root,
      h("p", { class: "muted panel-summary", id: "members-summary" }, t(this.members.length === 1 ? "admin.members.summary.one" : "admin.members.summary", { n: this.members.length, online })),
      h("ul", { class: "member-list", id: "member-list" }, this.members.map((m) => this.member(m))),
    );
  }

  member(m) {
    const me = m.participant_id === this.view.me.participant_id;
    const select = roleSelect(
      {
        class: "member-role",
        id: `role-${m.participant_id}`,
        disabled: me,
        "aria-label": t("admin.member.role.of", { name: m.name }),
        "aria-describedby": me ? `role-self-${m.participant_id}` : null,
        onchange: (event) => this.changeRole(m, event.target.value, event.target),
      },
      m.role,
    );
    return h(
      "li",
      { class: "member", dataset: { participant: String(m.participant_id), role: m.role } },
      h(
        "div",
        { class: "member-who" },
        avatar(m.name, `${m.name} (${m.city})`),
        h(
          "div",
          {},
          h("strong", { class: "member-name" }, m.name, me ? h("span", { class: "you-chip" }, t("you")) : null),
          h("span", { class: "member-sub" }, t("admin.member.sub", { city: m.city, since: formatDay(m.joined_at.slice(0, 10)) })),
        ),
      ),
      h("p", { class: `member-seen ${m.online ? "online" : ""}` }, h("span", { class: `state-dot ${m.online ? "online" : "all"}`, "aria-hidden": "true" }), seen(m)),
      h(
        "div",
        { class: "member-role-field" },
        h("label", { for: `role-${m.participant_id}`, class: "ready-label" }, t("admin.member.role")),
        select,
        me ? h("span", { class: "muted small", id: `role-self-${m.participant_id}` }, t("admin.member.self")) : null,
      ),
      h(
        "div",
        { class: "member-actions" },
        me
          ? null
          : h(
              "button",
              { type: "button", class: "button danger member-remove", onclick: () => this.remove(m) },
              t("admin.member.remove"),
            ),
      ),
      h(
        "div",
        { class: "member-devices" },
        h("span", { class: "ready-label" }, m.devices.length === 1 ? t("admin.devices.one") : t("admin.devices.many", { n: m.devices.length })),
        h("ul", { class: "device-list" }, m.devices.map((d) => this.device(m, d))),
      ),
    );
  }

  device(m, d) {
    const here = d.id === this.view.me.device_id;
    const state = d.revoked_at
      ? t("admin.device.revoked", { when: formatTime(d.revoked_at) })
      : seen(d);
    return h(
      "li",
      { class: `device ${d.revoked_at ? "revoked" : ""}`, dataset: { device: String(d.id) } },
      laptopIcon(),
      h(
        "span",
        { class: "device-name" },
        d.name,
        here ? h("span", { class: "you-chip" }, t("admin.device.here")) : null,
        h("span", { class: "device-state" }, state),
      ),
      d.revoked_at
        ? null
        : h(
            "button",
            {
              type: "button",
              class: "button small-button device-revoke",
              "aria-label": t("admin.device.revoke.label", { device: d.name, name: m.name }),
              onclick: () => this.revokeDevice(m, d, here),
            },
            t("admin.revoke"),
          ),
    );
  }

  async changeRole(m, role, select, undoing = false) {
    const previous = m.role;
    if (role === previous) return;
    select.disabled = true;
    try {
      const changed = await api.admin.setRole(this.view.on, m.participant_id, role);
      m.role = changed.role;
      this.render();
      const undo = undoing
        ? null
        : { label: t("note.undo"), run: () => this.changeRole(m, previous, this.roleField(m), true) };
      this.view.app.toast(t("admin.role.done", { name: m.name, role: roleName(changed.role).toLowerCase() }), "info", undo);
      this.view.changed("members");
    } catch (error) {
      select.value = previous;
      select.disabled = false;
      this.view.app.toast(adminError(error), "error");
    }
  }

  roleField(m) {
    return this.root.querySelector(`#role-${m.participant_id}`);
  }

  async remove(m) {
    const sure = await confirm({
      title: t("admin.remove.title", { name: m.name }),
      intro: t("admin.remove.intro", { name: m.name, group: this.view.title() }),
      points: [t("admin.remove.point.sync"), t("admin.remove.point.invite"), t("admin.remove.point.devices"), t("admin.remove.point.notes")],
      action: t("admin.member.remove"),
    });
    if (!sure) return;
    try {
      await api.admin.remove(this.view.on, m.participant_id);
      this.view.app.toast(t("admin.remove.done", { name: m.name }));
      this.view.changed("members");
      await this.load();
    } catch (error) {
      this.view.app.toast(adminError(error), "error");
    }
  }

  async revokeDevice(m, d, here) {
    const points = [t("admin.device.point.sync"), t("admin.device.point.notes"), t("admin.device.point.back")];
    if (here) points.unshift(t("admin.device.point.here"));
    const sure = await confirm({
      title: t("admin.device.title", { device: d.name }),
      intro: t("admin.device.intro", { device: d.name, name: m.name }),
      points,
      action: t("admin.revoke"),
    });
    if (!sure) return;
    try {
      await api.admin.revokeDevice(this.view.on, d.id);
      this.view.app.toast(t("admin.device.done", { device: d.name, name: m.name }));
      await this.load();
    } catch (error) {
      this.view.app.toast(adminError(error), "error");
    }
  }
}

/** A panel that could not load: why, and a way to try again. */
export function problem(error, retry) {
  return h(
    "div",
    { class: "admin-problem", role: "alert" },
    h("p", {}, adminError(error)),
    h("button", { type: "button", class: "button", onclick: retry }, t("admin.retry")),
  );
}

const laptopIcon = () => icon('<rect x="4" y="4.5" width="12" height="8.5" rx="1.2"/><path d="M2.5 15.5h15"/>');
