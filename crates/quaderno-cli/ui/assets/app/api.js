// The page's calls to the Quaderno process on this computer. The browser adds the cookie with
// the secret and the Origin header; the process refuses anything else.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    throw new ApiError(0, "closed", String(e));
  }
  const text = await response.text();
  const data = text ? safeJson(text) : null;
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(response.status, error.code ?? "failed", error.message ?? text);
  }
  return data;
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { error: { code: "failed", message: text } };
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) q.set(key, value);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

const note = (id) => `/api/notes/${encodeURIComponent(id)}`;

export const api = {
  overview: () => call("GET", "/api/overview"),
  identity: (name, city) => call("POST", "/api/identity", { name, city }),
  join: (form) => call("POST", "/api/join", form),
  joinLink: (form) => call("POST", "/api/join-link", form),
  linkDevice: (relay) => call("POST", "/api/devices/link", { relay }),
  notes: (params) => call("GET", `/api/notes${query(params)}`),
  create: (group, title) => call("POST", "/api/notes", { group, title }),
  fields: (id, fields) => call("PATCH", note(id), fields),
  bin: (id, deleted) => call("POST", `${note(id)}/bin`, { deleted }),
  move: (id, group) => call("POST", `${note(id)}/move`, { group }),
  history: (id) => call("GET", `${note(id)}/history`),
  version: (id, change) => call("GET", `${note(id)}/versions/${encodeURIComponent(change)}`),
  restore: (id, change) => call("POST", `${note(id)}/restore`, { change }),
  render: (markdown) => call("POST", "/api/render", { markdown }),
  markdownUrl: (id) => `${note(id)}/markdown`,
  printUrl: (id, lang) => `/notes/${encodeURIComponent(id)}/print?lang=${lang}`,
  admin: adminApi(),
};

/** The group's and the relay's administration, through this computer (which holds the token).
 *  `on` is `{ group, relay }`; `relay` is only needed for a group not joined here. */
function adminApi() {
  const group = (on, rest = "", params = {}) =>
    `/api/admin/groups/${encodeURIComponent(on.group)}${rest}${query({ relay: on.relay, ...params })}`;
  const relay = (url, rest) => `/api/admin/relay${rest}${query({ relay: url })}`;
  return {
    access: () => call("GET", "/api/admin/access"),
    members: (on) => call("GET", group(on, "/members")),
    setRole: (on, participant, role) => call("PUT", group(on, `/members/${participant}/role`), { role }),
    remove: (on, participant) => call("DELETE", group(on, `/members/${participant}`)),
    invites: (on) => call("GET", group(on, "/invites")),
    createInvite: (on, invite) => call("POST", group(on, "/invites"), invite),
    revokeInvite: (on, id) => call("DELETE", group(on, `/invites/${id}`)),
    revokeDevice: (on, id) => call("POST", group(on, `/devices/${id}/revoke`)),
    erase: (on, doc, reason) => call("POST", group(on, `/notes/${encodeURIComponent(doc)}/erase`), { reason }),
    redact: (on, doc, passage, reason) =>
      call("POST", group(on, `/notes/${encodeURIComponent(doc)}/redact`), { passage, reason }),
    erasures: (on) => call("GET", group(on, "/erasures")),
    activity: (on, params) => call("GET", group(on, "/activity", params)),
    activityCsvUrl: (on) => group(on, "/activity.csv"),
    groups: (url) => call("GET", relay(url, "/groups")),
    createGroup: (url, slug, title) => call("POST", relay(url, "/groups"), { slug, title }),
    renameGroup: (url, slug, title) => call("PATCH", relay(url, `/groups/${encodeURIComponent(slug)}`), { title }),
    operators: (url) => call("GET", relay(url, "/operators")),
    inviteOperator: (url, days) => call("POST", relay(url, "/operators/invites"), { expires_in_days: days }),
  };
}
