#!/usr/bin/env node
// The installed command. It exists before the build so `npm ci` can link it; it runs the built CLI.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("headroom-analyze: not built yet: run `make build` (or `npm run build -w analyzer`)\n");
  process.exit(1);
}
await import(cli.href);
