#!/usr/bin/env -S node --max-semi-space-size=1
// The installed command. It exists before the build so `npm ci` can link it; it runs the built CLI.
// Node gets a small young generation (1 MB semi-spaces): a network-diff keeps nearly everything it
// reads, and V8 answers survivors by growing the young generation to 48 MB for good; with it capped,
// network-diff runs in the main thread instead of a worker (src/network-diff-worker.ts).
// It first checks the Node.js version against package.json's engines, so an older Node.js gets one
// line instead of a failure deep in an import (e.g. node:crypto's `hash`, new in Node.js 20.12).
import { existsSync } from "node:fs";
import { nodeVersionProblem } from "./node-version.js";

const problem = nodeVersionProblem(process.versions.node, new URL("../package.json", import.meta.url));
if (problem) {
  process.stderr.write("headroom-analyze: error: " + problem + "\n");
  process.exit(1);
}
const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("headroom-analyze: not built yet: run `make build` (or `npm run build -w analyzer`)\n");
  process.exit(1);
}
import(cli.href).catch(function (error) {
  process.stderr.write("headroom-analyze: error: cannot load " + cli.pathname + " (" + String(error && error.message).split("\n")[0] + ")\n");
  process.exitCode = 1;
});
