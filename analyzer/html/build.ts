/**
 * Builds the HTML report pages: bundles each app entry (with Chart.js, and jsdiff where used) with
 * esbuild and inlines it and styles.css into index.html, giving one file per page in dist/html/ —
 * report.html (network-diff, html-report.ts) and aggregate.html (aggregate, html-aggregate.ts),
 * each filled by the CLI with a run's data. Runs as part of `npm run build -w analyzer`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const PAGES = [
  { entry: "main.ts", out: "report.html" },
  { entry: "aggregate-main.ts", out: "aggregate.html" },
];

const style = readFileSync(join(here, "styles.css"), "utf8");
const page = readFileSync(join(here, "index.html"), "utf8");
const parts = page.split(/\/\*(STYLE|SCRIPT)\*\//);
if (parts.length !== 5) throw new Error("index.html must hold /*STYLE*/ and /*SCRIPT*/ once each");

for (const { entry, out } of PAGES) {
  const bundle = await build({
    entryPoints: [join(here, "src", entry)],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    platform: "browser",
    write: false,
    legalComments: "eof",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const script = (bundle.outputFiles[0]?.text ?? "").replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
  const html = parts.map((part) => (part === "STYLE" ? style : part === "SCRIPT" ? script : part)).join("");
  const file = join(here, "..", "dist", "html", out);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, html);
  process.stderr.write(`html: ${file} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KB)\n`);
}
