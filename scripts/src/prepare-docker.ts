#!/usr/bin/env node
/**
 * `prepare-docker`: a real Docker engine with Compose v2 and the harness's images, on a Debian machine that reaches
 * Debian's mirror but no container registry (CI). Each step looks first and does nothing when its part is there:
 *
 *   engine        Debian's docker.io (+ iptables), dockerd started in the background, `docker info` answering
 *   compose       the Compose v2 and buildx CLI plugins, extracted from Debian trixie's .debs into
 *                 ~/.docker/cli-plugins (apt reads trixie through a private list folder; the system stays bookworm)
 *   base images   hdnc/debian:<suite> from debootstrap (minbase) + `docker import`; the package tarball is cached
 *                 in <repo>/.cache/debootstrap
 *   lane images   docker/differential-network-capture/Dockerfile.* built on the local base; an image is rebuilt
 *                 only when its inputs changed (a hash of Dockerfile, files and build args, kept as a label)
 *
 *   npx tsx scripts/src/prepare-docker.ts                   # everything
 *   npx tsx scripts/src/prepare-docker.ts --check           # only report; exit 0 when all is ready, 1 otherwise
 *   npx tsx scripts/src/prepare-docker.ts --images-only     # the engine must already run
 *   npx tsx scripts/src/prepare-docker.ts --extra-ca /etc/ssl/certs/ca-certificates.crt
 *
 * Exit codes: 0 ready; 1 a step failed (one line says which and why); 2 bad usage.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, ExecaError } from "execa";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HARNESS_DIR = path.join(REPO_ROOT, "docker", "differential-network-capture");
const EXTRA_CA_DIR = path.join(HARNESS_DIR, "extra-ca");
const CACHE_DIR = path.join(REPO_ROOT, ".cache");
const PLUGIN_DIR = path.join(homedir(), ".docker", "cli-plugins");
const DEBIAN_MIRROR = "http://deb.debian.org/debian";
const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
const INPUTS_LABEL = "org.headroom-capture.inputs";

/** A local Debian base image, made with debootstrap. */
interface BaseImage {
  suite: string;
  tag: string;
}

/** A lane image: a Dockerfile in the harness folder, built with the repository root as context. */
interface LaneImage {
  name: string;
  dockerfile: string;
  /** The ARG whose default names the pinned version; the local tag carries it. */
  versionArg?: string;
  repository: string;
  /** The Compose variable that names this image (docker-compose.yml / compose.offline.yml). */
  composeVariable: string;
  /** Repository paths the build COPYs besides extra-ca/ (files or folders). */
  inputs: string[];
  /** A command that proves the image works, and what its output must contain. */
  smoke: { args: string[]; expect: RegExp };
}

const BASE_IMAGES: BaseImage[] = [{ suite: "trixie", tag: "hdnc/debian:trixie" }];
const LANE_BASE = "hdnc/debian:trixie";

const LANE_IMAGES: LaneImage[] = [
  {
    name: "mitm",
    dockerfile: "Dockerfile.mitm",
    versionArg: "MITMPROXY_VERSION",
    repository: "hdnc/mitmproxy",
    composeVariable: "MITM_IMAGE",
    inputs: [],
    smoke: { args: ["mitmdump", "--version"], expect: /Mitmproxy: 12\./ },
  },
  {
    name: "runner",
    dockerfile: "Dockerfile.runner",
    versionArg: "CLAUDE_CODE_PACKAGE",
    repository: "hdnc/claude-runner",
    composeVariable: "RUNNER_IMAGE",
    inputs: ["docker/differential-network-capture/claude-lane.sh"],
    smoke: { args: ["claude", "--version"], expect: /\(Claude Code\)/ },
  },
  {
    name: "headroom",
    dockerfile: "Dockerfile.headroom",
    versionArg: "HEADROOM_VERSION",
    repository: "hdnc/headroom",
    composeVariable: "HEADROOM_IMAGE",
    inputs: ["docker/differential-network-capture/tiktoken_cache.py"],
    smoke: { args: ["headroom", "--help"], expect: /headroom/i },
  },
  {
    name: "tools",
    dockerfile: "Dockerfile.tools",
    repository: "hdnc/tools",
    composeVariable: "TOOLS_IMAGE",
    inputs: ["package.json", "package-lock.json", "analyzer/package.json", "scripts/package.json", "scripts/src"],
    smoke: { args: ["tsx", "--version"], expect: /tsx v\d/ },
  },
];

/** A step failed: the message is the one line the user sees. */
class StepError extends Error {}

interface Options {
  check: boolean;
  imagesOnly: boolean;
  verbose: boolean;
  extraCa?: string;
  dockerdLog: string;
  engineTimeout: number;
  /** With --check: what is not ready. */
  missing: string[];
}

/** One line per step: what was found or done, and how long it took. */
function report(step: string, outcome: string, startedAt?: number): void {
  const took = startedAt === undefined ? "" : ` (${((Date.now() - startedAt) / 1000).toFixed(1)}s)`;
  console.log(`${step.padEnd(28)} ${outcome}${took}`);
}

/** --check found a part that is not ready: say so and go on looking. */
function missingPart(opts: Options, part: string, why: string): void {
  opts.missing.push(part);
  report(part, `NOT READY: ${why}`);
}

/** Run a command; with --verbose its output streams to the terminal, otherwise it is kept for the error line. */
async function run(opts: Options, file: string, args: string[], extra: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<string> {
  try {
    const result = await execa(file, args, {
      cwd: extra.cwd,
      env: extra.env,
      input: extra.input,
      stdout: opts.verbose ? ["pipe", "inherit"] : "pipe",
      stderr: opts.verbose ? ["pipe", "inherit"] : "pipe",
    });
    return result.stdout;
  } catch (error) {
    throw new StepError(`${file} ${args.join(" ")} failed: ${lastLine(error)}`);
  }
}

/** True when the command exits 0; never throws. */
async function succeeds(file: string, args: string[]): Promise<boolean> {
  const result = await execa(file, args, { reject: false, stdin: "ignore" });
  return result.exitCode === 0;
}

function lastLine(error: unknown): string {
  if (error instanceof ExecaError) {
    const text = `${String(error.stderr ?? "")}\n${String(error.stdout ?? "")}`.trim();
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    return lines.at(-1) ?? error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

async function commandExists(name: string): Promise<boolean> {
  return succeeds("sh", ["-c", `command -v ${name}`]);
}

async function aptInstall(opts: Options, packages: string[]): Promise<void> {
  if (process.getuid?.() !== 0) throw new StepError(`installing ${packages.join(", ")} needs root (apt-get); run as root or install them first`);
  await run(opts, "apt-get", ["update", "-q"]);
  await run(opts, "apt-get", ["install", "-y", "-q", "--no-install-recommends", ...packages], { env: { DEBIAN_FRONTEND: "noninteractive" } });
}

// --- engine -------------------------------------------------------------------------------------------------------

async function engineVersion(): Promise<string | undefined> {
  const result = await execa("docker", ["info", "--format", "{{.ServerVersion}}"], { reject: false, stdin: "ignore", timeout: 10_000 });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

async function ensureEngine(opts: Options): Promise<void> {
  const running = await engineVersion();
  if (running) return report("engine", `ok: running (Docker ${running})`);
  if (opts.check || opts.imagesOnly) throw new StepError("no Docker engine answers `docker info`; run without --check/--images-only to install and start one");

  const startedAt = Date.now();
  const missing = [];
  if (!(await commandExists("dockerd"))) missing.push("docker.io");
  if (!(await commandExists("iptables"))) missing.push("iptables");
  if (missing.length > 0) {
    await aptInstall(opts, missing);
    report("engine packages", `installed ${missing.join(", ")}`, startedAt);
  }
  await startDockerd(opts);
  report("engine", `started dockerd (Docker ${await engineVersion()}), log ${opts.dockerdLog}`, startedAt);
}

/** Start dockerd detached, its output in a log file, and poll `docker info` until it answers or the bound passes. */
async function startDockerd(opts: Options): Promise<void> {
  mkdirSync(path.dirname(opts.dockerdLog), { recursive: true });
  // A plain spawn, not execa: the daemon must outlive this script, writing straight to its log file (execa
  // would relay the output through this process, and dockerd dies of SIGPIPE once we exit).
  const logStart = existsSync(opts.dockerdLog) ? statSync(opts.dockerdLog).size : 0;
  const log = openSync(opts.dockerdLog, "a");
  const daemon = spawn("dockerd", [], { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  let exited: string | undefined;
  daemon.on("error", (error) => {
    exited = error.message;
  });
  daemon.on("exit", (code, signal) => {
    exited = `code ${code ?? signal}`;
  });
  daemon.unref();

  const deadline = Date.now() + opts.engineTimeout * 1000;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new StepError(`dockerd exited (${exited}) before answering: ${logTail(opts.dockerdLog, logStart)} (see ${opts.dockerdLog})`);
    if (await engineVersion()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new StepError(`dockerd did not answer \`docker info\` within ${opts.engineTimeout}s: ${logTail(opts.dockerdLog, logStart)} (see ${opts.dockerdLog})`);
}

/** The line of this start's log that most likely says why: fatal, else a plain (unformatted) line, else error. */
function logTail(file: string, fromOffset: number): string {
  const lines = readFileSync(file).subarray(fromOffset).toString("utf8").split("\n").filter((line) => line.trim() !== "");
  const pick = (test: (line: string) => boolean) => lines.filter(test).at(-1);
  const reason =
    pick((line) => line.includes("level=fatal")) ??
    pick((line) => !line.includes("level=") && !/^\d{4}-\d\d-\d\d /.test(line)) ??
    pick((line) => line.includes("level=error")) ??
    lines.at(-1) ??
    "(nothing logged)";
  return reason.replace(/^time="[^"]*"\s*/, "");
}

// --- compose ------------------------------------------------------------------------------------------------------

/** The Compose v2 and buildx plugins, from Debian trixie's packages (bookworm only has Compose v1). */
const PLUGIN_PACKAGES = [
  { pkg: "docker-compose", plugin: "docker-compose", probe: ["compose", "version"] },
  { pkg: "docker-buildx", plugin: "docker-buildx", probe: ["buildx", "version"] },
];

async function ensurePlugins(opts: Options): Promise<void> {
  for (const { pkg, plugin, probe } of PLUGIN_PACKAGES) {
    const present = await execa("docker", probe, { reject: false, stdin: "ignore" });
    if (present.exitCode === 0) {
      report(plugin, `ok: ${present.stdout.trim().split("\n")[0]}`);
      continue;
    }
    if (opts.check) {
      missingPart(opts, plugin, `missing (docker ${probe.join(" ")} fails)`);
      continue;
    }
    const startedAt = Date.now();
    const deb = await trixieDeb(opts, pkg);
    const unpacked = mkdtempSync(path.join(tmpdir(), `${pkg}-`));
    try {
      await run(opts, "dpkg-deb", ["-x", deb, unpacked]);
      mkdirSync(PLUGIN_DIR, { recursive: true });
      copyFileSync(path.join(unpacked, "usr", "libexec", "docker", "cli-plugins", plugin), path.join(PLUGIN_DIR, plugin));
    } finally {
      rmSync(unpacked, { recursive: true, force: true });
    }
    const version = await run(opts, "docker", probe);
    report(plugin, `installed from ${path.basename(deb)} into ${PLUGIN_DIR}: ${version.trim().split("\n")[0]}`, startedAt);
  }
}

/**
 * Download one package from Debian trixie into .cache/debs, reading trixie's index through a private apt list
 * folder: the system's sources and lists are never touched, so the host stays a bookworm system.
 */
async function trixieDeb(opts: Options, pkg: string): Promise<string> {
  const debDir = path.join(CACHE_DIR, "debs");
  mkdirSync(debDir, { recursive: true });
  const cached = () => readdirSync(debDir).find((file) => file.startsWith(`${pkg}_`) && file.endsWith(".deb"));
  const hit = cached();
  if (hit) return path.join(debDir, hit);

  const aptDir = path.join(CACHE_DIR, "apt-trixie");
  for (const dir of ["lists/partial", "cache/archives/partial", "sources.list.d"]) mkdirSync(path.join(aptDir, dir), { recursive: true });
  const sourceList = path.join(aptDir, "sources.list");
  const aptOptions = [
    "-o", `Dir::Etc::SourceList=${sourceList}`,
    "-o", `Dir::Etc::SourceParts=${path.join(aptDir, "sources.list.d")}`,
    "-o", `Dir::State::Lists=${path.join(aptDir, "lists")}`,
    "-o", `Dir::Cache=${path.join(aptDir, "cache")}`,
  ];
  await run(opts, "sh", ["-c", 'printf "%s\\n" "$1" > "$2"', "sh", `deb [signed-by=${DEBIAN_KEYRING}] ${DEBIAN_MIRROR} trixie main`, sourceList]);
  await run(opts, "apt-get", [...aptOptions, "update", "-q"]);
  await run(opts, "apt-get", [...aptOptions, "download", "-q", pkg], { cwd: debDir });
  const got = cached();
  if (!got) throw new StepError(`apt-get download ${pkg} (trixie) produced no .deb in ${debDir}`);
  return path.join(debDir, got);
}

// --- base images --------------------------------------------------------------------------------------------------

async function imageExists(ref: string): Promise<boolean> {
  return succeeds("docker", ["image", "inspect", ref]);
}

async function ensureBaseImages(opts: Options): Promise<void> {
  for (const base of BASE_IMAGES) {
    if (await imageExists(base.tag)) {
      report(base.tag, "ok: present");
      continue;
    }
    if (opts.check) {
      missingPart(opts, base.tag, "missing");
      continue;
    }
    const startedAt = Date.now();
    if (!(await commandExists("debootstrap"))) await aptInstall(opts, ["debootstrap"]);
    const tarball = path.join(CACHE_DIR, "debootstrap", `${base.suite}-minbase.tgz`);
    const cachedTarball = existsSync(tarball);
    if (!cachedTarball) {
      mkdirSync(path.dirname(tarball), { recursive: true });
      const scratch = mkdtempSync(path.join(tmpdir(), `debootstrap-${base.suite}-`));
      try {
        await run(opts, "debootstrap", ["--variant=minbase", `--make-tarball=${tarball}`, base.suite, scratch, DEBIAN_MIRROR]);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }
    const rootfs = mkdtempSync(path.join(tmpdir(), `rootfs-${base.suite}-`));
    try {
      await run(opts, "debootstrap", ["--variant=minbase", `--unpack-tarball=${tarball}`, base.suite, rootfs, DEBIAN_MIRROR]);
      // What a slim image leaves out: downloaded .debs and package lists (apt-get update fetches them again).
      await run(opts, "sh", ["-c", 'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/tmp/*', "sh", rootfs]);
      await run(opts, "sh", [
        "-c",
        'tar --numeric-owner -C "$1" -c . | docker import --change "ENV LANG=C.UTF-8" --change \'CMD ["bash"]\' - "$2"',
        "sh",
        rootfs,
        base.tag,
      ]);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
    report(base.tag, `imported from debootstrap ${base.suite} minbase (${cachedTarball ? "cached" : "downloaded"} ${path.relative(REPO_ROOT, tarball)})`, startedAt);
  }
}

// --- lane images --------------------------------------------------------------------------------------------------

/** The default of `ARG <name>=<value>` in a Dockerfile: the pinned version a tag should carry. */
function argDefault(dockerfileText: string, name: string): string | undefined {
  return new RegExp(`^ARG ${name}=(\\S+)`, "m").exec(dockerfileText)?.[1];
}

function laneTag(image: LaneImage): string {
  const dockerfileText = readFileSync(path.join(HARNESS_DIR, image.dockerfile), "utf8");
  const pinned = image.versionArg ? argDefault(dockerfileText, image.versionArg) : undefined;
  const version = pinned?.replace(/^.*@/, "") ?? "local";
  return `${image.repository}:${version}`;
}

/** Every regular file under a path, sorted, so the hash does not depend on directory order. */
function filesUnder(relative: string): string[] {
  const absolute = path.join(REPO_ROOT, relative);
  if (!existsSync(absolute)) return [];
  if (!statSync(absolute).isDirectory()) return [relative];
  return readdirSync(absolute, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** What the image is built from: Dockerfile, copied files, build args and the base image's id. */
function inputsHash(dockerfileText: string, files: string[], buildArgs: string[], baseId: string): string {
  const hash = createHash("sha256");
  hash.update(dockerfileText).update("\0").update(buildArgs.join("\0")).update("\0").update(baseId);
  for (const file of files) hash.update("\0").update(file).update("\0").update(readFileSync(path.join(REPO_ROOT, file)));
  return hash.digest("hex").slice(0, 16);
}

async function imageLabel(ref: string, label: string): Promise<string | undefined> {
  const result = await execa("docker", ["image", "inspect", "--format", `{{index .Config.Labels "${label}"}}`, ref], { reject: false, stdin: "ignore" });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

async function ensureLaneImages(opts: Options): Promise<void> {
  const base = await execa("docker", ["image", "inspect", "--format", "{{.Id}}", LANE_BASE], { reject: false, stdin: "ignore" });
  if (base.exitCode !== 0) {
    if (!opts.check) throw new StepError(`base image ${LANE_BASE} is missing: cannot build the lane images`);
    for (const image of LANE_IMAGES) missingPart(opts, image.dockerfile, `not checked: ${LANE_BASE} is missing`);
    return;
  }
  const baseId = base.stdout;
  const extraCaFiles = filesUnder(path.relative(REPO_ROOT, EXTRA_CA_DIR));
  for (const image of LANE_IMAGES) {
    const dockerfile = path.join(HARNESS_DIR, image.dockerfile);
    const dockerfileText = readFileSync(dockerfile, "utf8");
    const tag = laneTag(image);
    const buildArgs = [`BASE_IMAGE=${LANE_BASE}`];
    const files = [...extraCaFiles, ...image.inputs.flatMap(filesUnder)];
    const inputs = inputsHash(dockerfileText, files, buildArgs, baseId.trim());
    const built = await imageLabel(tag, INPUTS_LABEL);
    if (built === inputs) {
      report(tag, "ok: present and up to date");
      continue;
    }
    if (opts.check) {
      missingPart(opts, tag, built === undefined ? "missing" : "out of date (its Dockerfile, files or base changed)");
      continue;
    }
    const startedAt = Date.now();
    await run(opts, "docker", [
      "build",
      "--file", dockerfile,
      ...buildArgs.flatMap((arg) => ["--build-arg", arg]),
      "--label", `${INPUTS_LABEL}=${inputs}`,
      "--tag", tag,
      REPO_ROOT,
    ]);
    const buildSeconds = (Date.now() - startedAt) / 1000;
    const output = await run(opts, "docker", ["run", "--rm", "--network", "none", "--entrypoint", image.smoke.args[0]!, tag, ...image.smoke.args.slice(1)]);
    if (!image.smoke.expect.test(output)) throw new StepError(`${tag} built but \`${image.smoke.args.join(" ")}\` printed no ${image.smoke.expect}: ${output.split("\n")[0]}`);
    const size = await run(opts, "docker", ["image", "inspect", "--format", "{{.Size}}", tag]);
    report(tag, `${built === undefined ? "built" : "rebuilt"} in ${buildSeconds.toFixed(0)}s, ${(Number(size) / 1e6).toFixed(0)} MB; ${image.smoke.args.join(" ")}: ${output.split("\n")[0]}`);
  }
}

// --- extra CA -----------------------------------------------------------------------------------------------------

/** Copy a CA bundle into the build context's extra-ca/ folder (gitignored), where every Dockerfile looks. */
function placeExtraCa(opts: Options): void {
  if (!opts.extraCa) return;
  if (!existsSync(opts.extraCa)) throw new StepError(`--extra-ca ${opts.extraCa}: no such file`);
  const text = readFileSync(opts.extraCa, "utf8");
  if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new StepError(`--extra-ca ${opts.extraCa}: not a PEM certificate bundle`);
  const target = path.join(EXTRA_CA_DIR, "extra-ca.pem");
  if (existsSync(target) && readFileSync(target, "utf8") === text) return report("extra CA", `ok: ${path.relative(REPO_ROOT, target)} is current`);
  if (opts.check) return missingPart(opts, "extra CA", `${path.relative(REPO_ROOT, target)} differs from ${opts.extraCa}`);
  copyFileSync(opts.extraCa, target);
  report("extra CA", `copied ${opts.extraCa} to ${path.relative(REPO_ROOT, target)} (used by pip/npm during builds only)`);
}

// --- main ---------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("prepare-docker")
    .usage("$0 [options]\n\nPrepare a Docker engine, the Compose v2 plugin and the harness images on this Debian machine, offline from any registry.")
    .option("check", { type: "boolean", default: false, describe: "change nothing: report what is ready; exit 0 when everything is, 1 otherwise" })
    .option("images-only", { type: "boolean", default: false, describe: "skip installing/starting the engine and plugins (it must already run); build missing images" })
    .option("extra-ca", { type: "string", default: process.env.EXTRA_CA_BUNDLE, describe: "PEM bundle pip/npm must trust during image builds (e.g. a corporate proxy's CA); env EXTRA_CA_BUNDLE" })
    .option("dockerd-log", { type: "string", default: "/var/log/dockerd.log", describe: "where a dockerd started by this script logs" })
    .option("engine-timeout", { type: "number", default: 60, describe: "seconds to wait for a started dockerd to answer" })
    .option("verbose", { type: "boolean", default: false, describe: "stream the output of every command (apt, debootstrap, docker build)" })
    .epilog("Exit codes: 0 ready; 1 a step failed (one line says why); 2 bad usage.")
    .strict()
    .fail((message, error) => {
      if (error) throw error;
      console.error(`prepare-docker: ${message} (see --help)`);
      process.exit(2);
    })
    .parse();
  const opts: Options = {
    check: argv.check,
    imagesOnly: argv["images-only"],
    verbose: argv.verbose,
    extraCa: argv["extra-ca"] || undefined,
    dockerdLog: argv["dockerd-log"],
    engineTimeout: argv["engine-timeout"],
    missing: [],
  };

  const startedAt = Date.now();
  try {
    await ensureEngine(opts);
    if (!opts.imagesOnly) await ensurePlugins(opts);
    placeExtraCa(opts);
    await ensureBaseImages(opts);
    await ensureLaneImages(opts);
  } catch (error) {
    if (error instanceof StepError) {
      console.error(`prepare-docker: ${error.message}`);
      return 1;
    }
    throw error;
  }
  if (opts.missing.length > 0) {
    console.error(`prepare-docker: not ready: ${opts.missing.join(", ")} (run without --check to prepare them)`);
    return 1;
  }
  report("ready", opts.check ? "everything is in place" : "Docker, Compose and the images are in place", startedAt);
  return 0;
}

/**
 * The images this script builds, by the Compose variable that names each (MITM_IMAGE=hdnc/mitmproxy:12.3.1, ...):
 * what the Compose demo and e2e point Compose at on a machine without a registry.
 */
export function localImages(): Record<string, string> {
  return Object.fromEntries(LANE_IMAGES.map((image) => [image.composeVariable, laneTag(image)]));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
