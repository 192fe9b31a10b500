// Reference server for the benchmark: Hocuspocus 3.4.4 with its default debounced storage.
//
//   node bench/hocuspocus_server.mjs --port 8123 --dir /tmp/hp-store [--token bench-token]
//
// Listens on 127.0.0.1 only. onAuthenticate accepts one fixed token (any other closes the
// document with permission-denied), so every connection goes through an authentication step.
// Storage is a file per document (the full Yjs state, written to a temp file and renamed),
// written by Hocuspocus's onStoreDocument hook: that hook runs debounced, 2 s after the last
// change and at most every 10 s during a stream of changes (the defaults), and when the last
// connection of a document closes. Whatever changed since the last store is lost on a crash:
// the benchmark measures exactly that with kill -9.

import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { Server } from "@hocuspocus/server";
import * as Y from "yjs";

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg("port", "8124"));
const dir = arg("dir", "");
const token = arg("token", "bench-token");
if (!dir) {
  console.error("--dir is required");
  process.exit(2);
}
await mkdir(dir, { recursive: true });

const fileOf = (name) => path.join(dir, `${encodeURIComponent(name)}.ydoc`);

const server = new Server({
  address: "127.0.0.1",
  port,
  quiet: true,
  // The defaults, spelled out: store 2 s after the last change, at least every 10 s.
  debounce: 2000,
  maxDebounce: 10000,
  async onAuthenticate({ token: given }) {
    if (given !== token) {
      throw new Error("permission-denied");
    }
    return { user: "bench" };
  },
  async onLoadDocument({ document, documentName }) {
    try {
      const state = await readFile(fileOf(documentName));
      Y.applyUpdate(document, new Uint8Array(state));
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
    return document;
  },
  async onStoreDocument({ document, documentName }) {
    const target = fileOf(documentName);
    const tmp = `${target}.tmp`;
    await writeFile(tmp, Y.encodeStateAsUpdate(document));
    await rename(tmp, target);
  },
});

// Server.listen() passes `address` where Node expects `host` and so binds every interface;
// listen on loopback ourselves (the Server set up its upgrade handler in the constructor).
await new Promise((resolve, reject) => {
  server.httpServer.once("error", reject);
  server.httpServer.listen({ port, host: "127.0.0.1" }, resolve);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await server.destroy();
    process.exit(0);
  });
}
console.log(`hocuspocus ready on 127.0.0.1:${port}`);
