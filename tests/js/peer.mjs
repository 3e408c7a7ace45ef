// A JavaScript automerge-repo peer driven by Quaderno's interoperability tests.
//
//   node peer.mjs <ws-url> <peer-id>
//
// Reads one JSON command per line on stdin and writes one JSON event per line on stdout:
//   {"cmd":"create","doc":{...}}                    -> {"event":"created","url":"automerge:..."}
//   {"cmd":"find","url":"automerge:..."}            -> {"event":"found","url","doc"} | {"event":"unavailable","url"}
//   {"cmd":"watch","url":"automerge:..."}           -> {"event":"changed","url","doc"} on every change
//   {"cmd":"splice","url","field","pos","del","text"} -> {"event":"spliced","url","doc"}
//   {"cmd":"put","url","path":["notes","<id>"],"value":{...}} -> {"event":"put","url","doc"}
//   {"cmd":"broadcast","url","message":{...}}       -> {"event":"broadcast","url"}
//   {"cmd":"actor","url"}                           -> {"event":"actor","url","actor":"<hex>"}
//   {"cmd":"exit"}
// Ephemeral messages on any document it holds: {"event":"ephemeral","url","senderId","message"}.
// Strings in "doc" become collaborative text; a value {"$date": ms} becomes a timestamp.

import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import * as A from "@automerge/automerge";
import readline from "node:readline";

const [url, peerId] = process.argv.slice(2);
if (!url || !peerId) {
  console.error("usage: node peer.mjs <ws-url> <peer-id>");
  process.exit(2);
}

const repo = new Repo({ network: [new WebSocketClientAdapter(url, 500)], peerId });
const handles = new Map();

const emit = (event) => process.stdout.write(JSON.stringify(event) + "\n");
// Numbers a Rust peer wrote as unsigned integers arrive as BigInt, which JSON cannot hold.
const plain = (doc) => JSON.parse(JSON.stringify(doc, (_, v) => (typeof v === "bigint" ? Number(v) : v)));
const revive = (value) => {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    if ("$date" in value) return new Date(value.$date);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return Array.isArray(value) ? value.map(revive) : value;
};

function remember(handle) {
  if (handles.has(handle.url)) return handle;
  handles.set(handle.url, handle);
  handle.on("ephemeral-message", ({ senderId, message }) =>
    emit({ event: "ephemeral", url: handle.url, senderId, message }),
  );
  return handle;
}

async function handleFor(docUrl) {
  if (handles.has(docUrl)) return handles.get(docUrl);
  return remember(await repo.find(docUrl));
}

const commands = {
  async create({ doc }) {
    const handle = remember(repo.create(revive(doc)));
    emit({ event: "created", url: handle.url });
  },
  async find({ url: docUrl }) {
    try {
      const handle = await handleFor(docUrl);
      emit({ event: "found", url: docUrl, doc: plain(handle.doc()) });
    } catch (error) {
      emit({ event: "unavailable", url: docUrl, error: String(error) });
    }
  },
  async watch({ url: docUrl }) {
    const handle = await handleFor(docUrl);
    handle.on("change", ({ doc }) => emit({ event: "changed", url: docUrl, doc: plain(doc) }));
    emit({ event: "watching", url: docUrl, doc: plain(handle.doc()) });
  },
  async splice({ url: docUrl, field, pos, del, text }) {
    const handle = await handleFor(docUrl);
    handle.change((d) => A.splice(d, [field], pos, del, text));
    emit({ event: "spliced", url: docUrl, doc: plain(handle.doc()) });
  },
  async put({ url: docUrl, path, value }) {
    const handle = await handleFor(docUrl);
    handle.change((d) => {
      let target = d;
      for (const key of path.slice(0, -1)) {
        if (!(key in target)) target[key] = {};
        target = target[key];
      }
      target[path[path.length - 1]] = revive(value);
    });
    emit({ event: "put", url: docUrl, doc: plain(handle.doc()) });
  },
  async actor({ url: docUrl }) {
    const handle = await handleFor(docUrl);
    emit({ event: "actor", url: docUrl, actor: A.getActorId(handle.doc()) });
  },
  async broadcast({ url: docUrl, message }) {
    const handle = await handleFor(docUrl);
    handle.broadcast(message);
    emit({ event: "broadcast", url: docUrl });
  },
  async exit() {
    await repo.flush();
    process.exit(0);
  },
};

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  if (!line.trim()) return;
  queue = queue.then(async () => {
    const command = JSON.parse(line);
    const run = commands[command.cmd];
    if (!run) return emit({ event: "error", error: `unknown command ${command.cmd}` });
    try {
      await run(command);
    } catch (error) {
      emit({ event: "error", error: String(error) });
    }
  });
});
lines.on("close", () => queue.then(() => process.exit(0)));
