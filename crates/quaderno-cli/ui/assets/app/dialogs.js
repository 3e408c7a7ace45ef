// The dialogs: saying who you are, joining a group with an invite (or as one more computer of
// the same person), a code for another computer, moving a note to a group, erasing a note of a
// group for everyone.

import { h, fill } from "./dom.js";
import { t, errorText, formatClock } from "./i18n.js";
import { api } from "./api.js";
import { adminError } from "./admin-common.js";
import { occurrences } from "./passage.js";

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

/** Joins a group with the relay's address and an invite code, or makes this computer one more
 *  device of a person who already uses Quaderno elsewhere (a code from `link`). */
export function join(app, { needIdentity = false, back = null } = {}) {
  const dialog = document.getElementById("join");
  const form = document.getElementById("join-form");
  const who = form.querySelector(".who");
  const codeLabel = form.querySelector(".join-code-label");
  const intro = form.querySelector("[data-i18n^='join.intro']");
  const kind = () => new FormData(form).get("kind");
  const shape = () => {
    const asPerson = kind() === "link";
    // The other computer already knows who this is: its name and city come with the code.
    who.hidden = !needIdentity || asPerson;
    form.elements.name.required = needIdentity && !asPerson;
    form.elements.city.required = needIdentity && !asPerson;
    codeLabel.dataset.i18n = asPerson ? "join.code.link" : "join.code";
    codeLabel.textContent = t(codeLabel.dataset.i18n);
    intro.dataset.i18n = asPerson ? "join.intro.link" : "join.intro";
    intro.textContent = t(intro.dataset.i18n);
  };
  for (const radio of form.elements.kind) radio.onchange = shape;
  shape();
  formError(form, null);
  form.querySelector("[data-close]").onclick = () => {
    dialog.close();
    back?.();
  };
  form.onsubmit = async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const invite = { relay: String(data.get("relay")).trim(), code: String(data.get("code")).trim() };
    const asPerson = kind() === "link";
    if (needIdentity && !asPerson) {
      invite.name = String(data.get("name"));
      invite.city = String(data.get("city"));
    }
    busy(form, true);
    try {
      const joined = asPerson ? await api.joinLink(invite) : await api.join(invite);
      dialog.close();
      form.reset();
      await app.refreshOverview();
      if (joined.operator) await app.accessChanged();
      if (asPerson) {
        const first = joined.groups[0];
        if (first) app.chooseGroup(first.group);
        app.toast(t("join.linked", { name: joined.identity.name, n: joined.groups.length }));
      } else if (joined.group) {
        app.chooseGroup(joined.group);
        app.toast(t("join.done", { title: joined.title }));
      } else {
        app.toast(t("join.operator"));
      }
    } catch (error) {
      formError(form, error);
    } finally {
      busy(form, false);
    }
  };
  dialog.showModal();
  form.elements.relay.focus();
}

/** A one-time code, valid for ten minutes, that makes another computer one more device of this
 *  person, in all of their groups. */
export async function link(app, relay) {
  const dialog = document.getElementById("link");
  const form = document.getElementById("link-form");
  const ready = form.querySelector(".link-ready");
  ready.hidden = true;
  formError(form, null);
  form.querySelector("[data-close]").onclick = () => dialog.close();
  dialog.showModal();
  try {
    const made = await api.linkDevice(relay);
    document.getElementById("link-relay").textContent = made.relay_url;
    document.getElementById("link-code").textContent = made.code;
    document.getElementById("link-until").textContent = t("link.until", { time: formatClock(made.expires_at) });
    document.getElementById("link-command").textContent = `quaderno join --link ${made.code} ${made.relay_url}`;
    ready.hidden = false;
  } catch (error) {
    formError(form, error);
  }
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

/** Asks before a note of a group is erased for everyone (by an admin of the group, or an
 *  operator): it leaves the relay and every participant's computer, edits not yet sent
 *  included, for good. The relay keeps who, when and why, so the button does nothing until a
 *  reason is written; `eraseNote(reason)` does it, and the dialog closes once it has. */
export function erase(app, { group, title }, eraseNote) {
  const dialog = document.getElementById("erase");
  const form = document.getElementById("erase-form");
  const reason = form.elements.reason;
  const ok = document.getElementById("erase-ok");
  const why = () => reason.value.trim();
  const ready = () => (ok.disabled = why() === "");
  fill(form.querySelector(".erase-intro"), t("erase.intro", { title: title || t("note.untitled"), group: app.groupTitle(group) }));
  reason.value = "";
  reason.oninput = ready;
  ready();
  formError(form, null);
  form.querySelector("[data-close]").onclick = () => dialog.close();
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (!why()) return;
    busy(form, true);
    try {
      await eraseNote(why());
      dialog.close();
    } catch (error) {
      formError(form, adminError(error));
    } finally {
      busy(form, false);
      ready();
    }
  };
  dialog.showModal();
  reason.focus();
}

/** Asks before a passage is erased from a note and from its whole history (by an admin of the
 *  group, or an operator): every occurrence, whatever its case, becomes «[rimosso]», and the
 *  note goes on for everyone with its history starting now. `fields()` reads the note as it is
 *  now, to say how often the passage occurs there; the button does nothing until the passage
 *  occurs and a reason is written. `redactNote(passage, reason)` does it; the dialog closes
 *  once it has and the note goes on here. */
export function redact(app, { group, title, fields }, redactNote) {
  const dialog = document.getElementById("redact");
  const form = document.getElementById("redact-form");
  const { passage, reason } = form.elements;
  const ok = document.getElementById("redact-ok");
  const hint = document.getElementById("redact-count");
  const what = () => passage.value.trim();
  const why = () => reason.value.trim();
  const ready = () => {
    const n = [...what()].length >= 2 ? occurrences(fields(), what()) : null;
    hint.textContent = n === null ? t("redact.passage.hint") : t(n === 0 ? "redact.count.none" : n === 1 ? "redact.count.one" : "redact.count.many", { n });
    hint.classList.toggle("missing", n === 0);
    ok.disabled = !n || why() === "";
  };
  fill(form.querySelector(".redact-intro"), t("redact.intro", { title: title || t("note.untitled"), group: app.groupTitle(group) }));
  passage.value = "";
  reason.value = "";
  passage.oninput = ready;
  reason.oninput = ready;
  ready();
  formError(form, null);
  form.querySelector("[data-close]").onclick = () => dialog.close();
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (ok.disabled) return;
    busy(form, true);
    try {
      await redactNote(what(), why());
      dialog.close();
    } catch (error) {
      formError(form, adminError(error));
    } finally {
      busy(form, false);
      ready();
    }
  };
  dialog.showModal();
  passage.focus();
}
