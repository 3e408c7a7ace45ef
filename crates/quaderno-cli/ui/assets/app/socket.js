// The page's WebSocket to the Quaderno process: Automerge sync of the open notes in binary
// frames ([kind][id length][id][bytes]), and JSON messages both ways. It reconnects by itself;
// after a reconnection every open note is opened again and merges what it missed.

export const SNAPSHOT = 1;
export const SYNC = 2;
export const RESET = 3;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeFrame(kind, doc, bytes) {
  const id = encoder.encode(doc);
  const out = new Uint8Array(2 + id.length + bytes.length);
  out[0] = kind;
  out[1] = id.length;
  out.set(id, 2);
  out.set(bytes, 2 + id.length);
  return out;
}

export function decodeFrame(buffer) {
  const bytes = new Uint8Array(buffer);
  const len = bytes[1];
  return { kind: bytes[0], doc: decoder.decode(bytes.subarray(2, 2 + len)), bytes: bytes.slice(2 + len) };
}

export class PageSocket {
  constructor({ onFrame, onMessage, onState }) {
    this.onFrame = onFrame;
    this.onMessage = onMessage;
    this.onState = onState;
    this.open = new Set();
    this.ws = null;
    this.failures = 0;
    this.connect();
  }

  get connected() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  connect() {
    const ws = new WebSocket(`ws://${location.host}/api/socket`);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      this.failures = 0;
      this.onState("open");
      for (const doc of this.open) this.sendJson({ t: "open", doc });
    };
    ws.onmessage = (event) => {
      if (typeof event.data === "string") this.onMessage(JSON.parse(event.data));
      else this.onFrame(decodeFrame(event.data));
    };
    ws.onclose = () => {
      this.ws = null;
      this.failures++;
      this.onState(this.failures > 3 ? "lost" : "reconnecting");
      setTimeout(() => this.connect(), Math.min(5000, 300 * 2 ** this.failures));
    };
    this.ws = ws;
  }

  openNote(doc) {
    this.open.add(doc);
    this.sendJson({ t: "open", doc });
  }

  closeNote(doc) {
    this.open.delete(doc);
    this.sendJson({ t: "close", doc });
  }

  sendSync(doc, bytes) {
    if (this.connected) this.ws.send(encodeFrame(SYNC, doc, bytes));
  }

  sendJson(message) {
    if (this.connected) this.ws.send(JSON.stringify(message));
  }
}
