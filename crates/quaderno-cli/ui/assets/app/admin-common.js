// What the views of "Gestione del gruppo" share: role names, the relay's refusals in words, the
// confirmation dialog, and the card of a fresh invite (the message to send, its code, its QR).

import { h, fill } from "./dom.js";
import { t, errorText, formatDay, formatAgo } from "./i18n.js";

export const ROLES = ["reader", "editor", "admin"];

/** "Lettore", "Editor", "Amministratore". */
export function roleName(role) {
  return t(`admin.role.${role}`);
}

/** A relay's refusal (or the connection's absence) as the person is told it. */
export function adminError(error) {
  switch (error?.code) {
    case "forbidden":
      return t("admin.error.forbidden");
    case "bad_request":
      return t("admin.error.bad_request", { message: error.message });
    case "relay_unreachable":
      return t("admin.error.offline");
    default:
      return errorText(error);
  }
}

/** `<select>` of the roles, `current` chosen. */
export function roleSelect(attrs, current) {
  return h(
    "select",
    attrs,
    ROLES.map((role) => h("option", { value: role, selected: role === current }, roleName(role))),
  );
}

/** Asks before something that cannot be undone: `points` say what will happen. Resolves to
 *  whether the person confirmed. Cancel has the focus, so Enter alone never confirms. */
export function confirm({ title, intro, points = [], action }) {
  const dialog = document.getElementById("admin-confirm");
  fill(dialog.querySelector("#admin-confirm-title"), title);
  fill(dialog.querySelector(".confirm-intro"), intro ?? "");
  fill(dialog.querySelector(".confirm-points"), points.map((p) => h("li", {}, p)));
  dialog.querySelector(".confirm-points").hidden = points.length === 0;
  const ok = dialog.querySelector("#admin-confirm-ok");
  const cancel = dialog.querySelector("[data-close]");
  fill(ok, action);
  fill(cancel, t("dialog.cancel"));
  return new Promise((resolve) => {
    const done = (answer) => {
      ok.onclick = null;
      cancel.onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    ok.onclick = () => done(true);
    cancel.onclick = () => done(false);
    dialog.onclose = () => done(false);
    dialog.showModal();
    cancel.focus();
  });
}

/** Copies `text`; where the browser will not, selects it in `field` for Ctrl+C. */
export async function copyText(text, field, toast) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t("admin.copied"));
  } catch {
    field.focus();
    field.select();
    toast(t("admin.copy.select"));
  }
}

/** The message that invites someone, ready to paste into an e-mail or a chat. */
export function inviteMessage({ title, role, code, relay, uses, until, operator = false }) {
  const vars = { title, role: roleName(role).toLowerCase(), code, relay, until: formatDay(until.slice(0, 10)), n: uses };
  if (operator) return t("admin.message.operator", vars);
  const limit = uses === 1 ? t("admin.message.once") : t("admin.message.many", vars);
  return t("admin.message.group", { ...vars, limit });
}

/** The card of a code just made: the message with a copy button, the code, the command and
 *  the QR code (drawn by Quaderno here, an SVG image). The code is shown only now. */
export function readyCard({ heading, message, code, join, qrSvg, toast, onClose, id = null }) {
  const area = h("textarea", { id: "invite-message", class: "invite-message", readonly: true, rows: message.split("\n").length + 1, "aria-labelledby": "invite-message-label" });
  area.value = message;
  const qr = h("img", {
    id: "invite-qr",
    class: "invite-qr",
    alt: t("admin.qr.alt"),
    width: 176,
    height: 176,
    src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrSvg)}`,
  });
  return h(
    "section",
    { class: "ready-card", id: "invite-ready", "aria-labelledby": "invite-ready-title", tabindex: "-1", dataset: id === null ? {} : { invite: String(id) } },
    h(
      "div",
      { class: "ready-head" },
      h("h3", { id: "invite-ready-title" }, heading),
      h("button", { type: "button", class: "button ghost small-button", onclick: onClose }, t("dialog.close")),
    ),
    h("p", { class: "ready-warning" }, t("admin.ready.once")),
    h(
      "div",
      { class: "ready-body" },
      h(
        "div",
        { class: "ready-text" },
        h("label", { id: "invite-message-label", for: "invite-message", class: "ready-label" }, t("admin.ready.message")),
        area,
        h(
          "div",
          { class: "ready-actions" },
          h("button", { type: "button", class: "button primary", id: "invite-copy", onclick: () => copyText(message, area, toast) }, t("admin.ready.copy")),
        ),
        h("p", { class: "ready-code" }, h("span", { class: "ready-label" }, t("admin.ready.code")), h("code", { id: "invite-code" }, code)),
        h("p", { class: "ready-code" }, h("span", { class: "ready-label" }, t("admin.ready.command")), h("code", { id: "invite-join" }, join)),
      ),
      h("figure", { class: "ready-qr" }, qr, h("figcaption", {}, t("admin.qr.caption"))),
    ),
  );
}

/** "Visto 3 giorni fa" / "In linea ora" / "Mai collegato". */
export function seen({ online, last_seen_at }) {
  if (online) return t("admin.online");
  if (!last_seen_at) return t("admin.never");
  return t("admin.seen", { when: formatAgo(last_seen_at) });
}
