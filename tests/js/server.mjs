// The JavaScript reference relay: an automerge-repo sync server set up exactly as the public
// `automerge-repo-sync-server` (v0.3.0, src/server.js) sets itself up, minus Express, which only
// served a static page there: a `Repo` with a `NodeWSServerAdapter` on a `ws` server (keepalive
// 5000 ms), `NodeFSStorageAdapter(dataDir)` and `sharePolicy: async () => false`.
//
// Used by Quaderno's benchmarks (quaderno-bench, scripts/bench-relay.sh) and by tests that sync
// a client against the reference. Keep this interface stable:
//
//   node server.mjs <port> <data-dir>
//
//   <port>      TCP port on 127.0.0.1; 0 lets the system pick one.
//   <data-dir>  Where NodeFSStorageAdapter keeps documents (created if missing).
//
//   stdout      The first line is the WebSocket URL to connect to, e.g. ws://127.0.0.1:41234
//               (every path is accepted, as in the public server). Nothing else is printed.
//   SIGTERM     Stops accepting, closes every socket, writes pending documents to the data
//   SIGINT      directory and exits 0.
//   exit 2      Bad arguments (usage on stderr).

import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import { WebSocketServer } from "ws";
import { Repo } from "@automerge/automerge-repo";
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";

const [portArg, dataDir] = process.argv.slice(2);
const port = Number(portArg);
if (portArg === undefined || !Number.isInteger(port) || port < 0 || port > 65535 || !dataDir) {
  console.error("usage: node server.mjs <port> <data-dir>   (port 0: the system picks one)");
  process.exit(2);
}
fs.mkdirSync(dataDir, { recursive: true });

const wsServer = new WebSocketServer({ noServer: true });
const repo = new Repo({
  network: [new NodeWSServerAdapter(wsServer)],
  storage: new NodeFSStorageAdapter(dataDir),
  peerId: `storage-server-${os.hostname()}`,
  // As the public server: never announce documents; peers sync those they ask for by id.
  sharePolicy: async () => false,
});

const server = http.createServer((_request, response) => {
  response.end("automerge-repo reference sync server\n");
});
server.on("upgrade", (request, socket, head) => {
  wsServer.handleUpgrade(request, socket, head, (ws) => {
    wsServer.emit("connection", ws, request);
  });
});
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`ws://127.0.0.1:${server.address().port}\n`);
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  server.close();
  for (const client of wsServer.clients) client.terminate();
  wsServer.close();
  try {
    await repo.flush();
    await repo.shutdown();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
