#!/usr/bin/env node
// The installed command. It exists before the build so `npm ci` can link it; it runs the built CLI.
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
