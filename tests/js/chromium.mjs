// How the tests start Debian's Chromium: headless, as root in CI, and with no background
// networking (the machine's closed network would refuse it, many connections at a time).

export const EXECUTABLE = process.env.QUADERNO_CHROMIUM || "/usr/bin/chromium";
export const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
