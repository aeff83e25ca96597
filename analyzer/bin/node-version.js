// The Node.js version floor, read from a package.json's `engines.node` so it is stated once.
// Plain, old syntax on purpose: this must run (and say one clear line) on a Node.js too old for the rest.
// Run directly (`node analyzer/bin/node-version.js [package.json]`) it exits 1 with that line when Node.js is too old.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

function parts(version) {
  return String(version).replace(/^v/, "").split(".").map(function (part) {
    return parseInt(part, 10) || 0;
  });
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) < (b[i] || 0) ? -1 : 1;
  }
  return 0;
}

/** Does `version` meet one comparator: `^x.y.z`, `>=x.y.z` or `x.y.z`? Unknown forms are met (never block on them). */
function meets(version, comparator) {
  const match = /^(\^|>=)?\s*v?(\d+(?:\.\d+){0,2})$/.exec(comparator.trim());
  if (!match) return true;
  const want = parts(match[2]);
  if (match[1] === ">=") return compare(version, want) >= 0;
  if (match[1] === "^") return version[0] === want[0] && compare(version, want) >= 0;
  return compare(version, want) === 0;
}

/** Does `version` (e.g. "20.11.1") satisfy `range` (comparators joined by `||`)? */
export function satisfies(version, range) {
  const have = parts(version);
  return String(range).split("||").some(function (comparator) {
    return meets(have, comparator);
  });
}

/** The `engines.node` range of the package.json at `packageFile` (a URL or path); null when it has none. */
export function nodeRange(packageFile) {
  const pkg = JSON.parse(readFileSync(packageFile, "utf8"));
  return (pkg.engines && pkg.engines.node) || null;
}

/** One line saying why this Node.js is too old for `packageFile`, or null when it is fine. */
export function nodeVersionProblem(version, packageFile) {
  const range = nodeRange(packageFile);
  if (!range || satisfies(version, range)) return null;
  return "Node.js " + version + " is too old: needs " + range + " (engines in " + fileURLToPath(packageFile instanceof URL ? packageFile : new URL("file://" + packageFile)) + ")";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = process.argv[2] ? new URL("file://" + (process.argv[2].charAt(0) === "/" ? "" : process.cwd() + "/") + process.argv[2]) : new URL("../package.json", import.meta.url);
  const problem = nodeVersionProblem(process.versions.node, target);
  if (problem) {
    process.stderr.write("error: " + problem + "\n");
    process.exit(1);
  }
}
