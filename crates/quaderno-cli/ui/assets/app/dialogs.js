// The dialogs: saying who you are, joining a group with an invite, moving a note to a group.

import { h, fill } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { api } from "./api.js";

function formError(form, error) {
  const text = typeof error === "string" ? error : error ? errorText(error) : "";
  form.querySelector(".form-error").textContent = text;
}

function busy(form, on) {
  for (const button of form.querySelectorAll("button")) button.disabled = on;
}

/** Asks who the participant is, once, before anything else. */
export function welcome(app) {
  const dialog = document.getElementById("welcome");
  const form = document.getElementById("welcome-form");
  dialog.addEventListener("cancel", (event) => event.preventDefault());
  form.onsubmit = async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    busy(form, true);
    try {
      await api.identity(String(data.get("name")), String(data.get("city")));
      formError(form, null);
      dialog.close();
      await app.refreshOverview();
    } catch (error) {
      formError(form, error);
    } finally {
      busy(form, false);
    }
  };
  document.getElementById("welcome-invite").onclick = () => {
    dialog.close();
    join(app, { needIdentity: true, back: () => welcome(app) });
  };
  dialog.showModal();
  form.elements.name.focus();
}

/** Joins a group with the relay's address and an invite code. */
export function join(app, { needIdentity = false, back = null } = {}) {
  const dialog = document.getElementById("join");
  const form = document.getElementById("join-form");
  const who = form.querySelector(".who");
  who.hidden = !needIdentity;
  form.elements.name.required = needIdentity;
  form.elements.city.required = needIdentity;
  formError(form, null);
  form.querySelector("[data-close]").onclick = () => {
    dialog.close();
    back?.();
  };
  form.onsubmit = async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const invite = { relay: String(data.get("relay")).trim(), code: String(data.get("code")).trim() };
    if (needIdentity) {
      invite.name = String(data.get("name"));
      invite.city = String(data.get("city"));
    }
    busy(form, true);
    try {
      const joined = await api.join(invite);
      dialog.close();
      form.reset();
      await app.refreshOverview();
      app.chooseGroup(joined.group);
      app.toast(t("join.done", { title: joined.title }));
    } catch (error) {
      formError(form, error);
    } finally {
      busy(form, false);
    }
  };
  dialog.showModal();
  form.elements.relay.focus();
}

/** Moves a personal note into one of the joined groups. */
export function move(app, id) {
  const dialog = document.getElementById("move");
  const form = document.getElementById("move-form");
  const select = form.elements.group;
  const groups = app.sharedGroups();
  fill(select, groups.map((g) => h("option", { value: g.slug }, g.title)));
  formError(form, groups.length ? null : t("move.none"));
  form.querySelector("[data-close]").onclick = () => dialog.close();
  form.onsubmit = async (event) => {
    event.preventDefault();
    busy(form, true);
    try {
      const { group } = await api.move(id, select.value);
      dialog.close();
      app.listChanged();
      app.toast(t("move.done", { title: app.groupTitle(group) }));
    } catch (error) {
      formError(form, error);
    } finally {
      busy(form, false);
    }
  };
  dialog.showModal();
  select.focus();
}
