/**
 * Builds the HTML report page: bundles src/main.ts (with Chart.js and jsdiff) with esbuild and
 * inlines it and styles.css into index.html, giving dist/html/report.html — one file the CLI
 * fills with a run's data (html-report.ts). Runs as part of `npm run build -w analyzer`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "dist", "html", "report.html");

const bundle = await build({
  entryPoints: [join(here, "src", "main.ts")],
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
const style = readFileSync(join(here, "styles.css"), "utf8");
const page = readFileSync(join(here, "index.html"), "utf8");
const parts = page.split(/\/\*(STYLE|SCRIPT)\*\//);
if (parts.length !== 5) throw new Error("index.html must hold /*STYLE*/ and /*SCRIPT*/ once each");
const html = parts.map((part) => (part === "STYLE" ? style : part === "SCRIPT" ? script : part)).join("");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, html);
process.stderr.write(`html: ${out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KB)\n`);
