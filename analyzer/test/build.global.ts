/** CLI tests run the built dist/cli.js, so build it once from the current sources before the suite. */
import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const analyzer = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  execFileSync("npm", ["run", "build", "--silent"], { cwd: analyzer, stdio: "inherit" });
}
