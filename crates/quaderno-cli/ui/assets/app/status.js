// The sync status, always in view: a pill in the top bar (online or not, notes waiting to be
// sent), a dot per group in the sidebar, and the details on demand.

import { h, fill } from "./dom.js";
import { t, formatTime } from "./i18n.js";

/** The shared groups (not the personal notebook). */
export function sharedGroups(overview) {
  return (overview?.groups ?? []).filter((g) => !g.personal);
}

/** "online", "offline", "refused" or "local" for a group. */
export function groupState(group) {
  if (group.personal) return "local";
  if (group.refused) return "refused";
  return group.online ? "online" : "offline";
}

/** Every note waiting to be sent, over all groups. */
export function waitingNotes(overview) {
  return sharedGroups(overview).flatMap((g) => g.waiting.map((w) => ({ ...w, group: g.slug })));
}

export function renderPill(pill, overview) {
  const shared = sharedGroups(overview);
  const online = shared.filter((g) => groupState(g) === "online").length;
  let state;
  let text;
  if (shared.length === 0) {
    state = "local";
    text = t("status.local");
  } else if (online === shared.length) {
    state = "online";
    text = t("status.online");
  } else if (online === 0) {
    state = "offline";
    text = t("status.offline");
  } else {
    state = "offline";
    text = t("status.partial");
  }
  pill.className = `sync-pill ${state}`;
  pill.dataset.state = state;
  fill(pill.querySelector(".sync-text"), text);
  const waiting = waitingNotes(overview).length;
  fill(
    pill.querySelector(".sync-waiting"),
    waiting === 0 ? "" : waiting === 1 ? t("status.waiting.one") : t("status.waiting.many", { n: waiting }),
  );
}

/** Says how many notes this computer cannot read (set aside, and reported to the group's
 * coordinators by the sync); hidden when there are none. */
export function renderUnreadable(banner, overview) {
  const n = sharedGroups(overview).reduce((sum, g) => sum + (g.unreadable ?? 0), 0);
  banner.hidden = n === 0;
  fill(banner, n === 0 ? "" : n === 1 ? t("status.unreadable.one") : t("status.unreadable.many", { n }));
}

export function renderDetails(popover, overview) {
  const shared = sharedGroups(overview);
  if (shared.length === 0) {
    fill(popover, h("div", { class: "popover-group" }, h("p", {}, t("groups.personal.hint"))));
    return;
  }
  fill(
    popover,
    shared.map((g) => {
      const state = groupState(g);
      const label = state === "online" ? t("groups.online") : state === "refused" ? t("groups.refused") : t("groups.offline");
      return h(
        "div",
        { class: "popover-group", dataset: { group: g.slug, state } },
        h("h3", {}, h("span", { class: `state-dot ${state}`, "aria-hidden": "true" }), g.title, h("span", { class: "muted small" }, `· ${label}`)),
        h("p", {}, g.last_complete_sync ? t("status.last", { when: formatTime(g.last_complete_sync) }) : t("status.never")),
        g.relay ? h("p", {}, t("status.relay", { url: g.relay })) : null,
        g.waiting.length === 0
          ? h("p", {}, t("status.synced"))
          : h("ul", {}, g.waiting.map((w) => h("li", {}, w.title || t("note.untitled")))),
      );
    }),
  );
}

/** The groups in the sidebar, with their state; `current` is the group shown ("" for all). */
export function renderGroups(list, overview, current, choose) {
  const items = [
    { slug: "", title: t("groups.all"), state: "all", sub: null, waiting: 0 },
    ...(overview?.groups ?? []).map((g) => ({
      slug: g.slug,
      title: g.personal ? t("groups.personal") : g.title,
      state: groupState(g),
      sub: g.personal
        ? t("groups.personal.hint")
        : groupState(g) === "online"
          ? t("groups.online")
          : groupState(g) === "refused"
            ? t("groups.refused")
            : t("groups.offline"),
      waiting: g.personal ? 0 : g.waiting.length,
    })),
  ];
  fill(
    list,
    items.map((item) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "group-button",
            "aria-current": item.slug === current ? "true" : "false",
            dataset: { group: item.slug, state: item.state },
            onclick: () => choose(item.slug),
          },
          h("span", { class: `state-dot ${item.state}`, "aria-hidden": "true" }),
          h("span", { class: "group-name" }, item.title),
          item.waiting > 0 ? h("span", { class: "badge", title: t("groups.waiting", { n: item.waiting }) }, String(item.waiting)) : h("span"),
          item.sub ? h("span", { class: "group-sub" }, item.sub) : null,
        ),
      ),
    ),
  );
}
