/**
 * The Compose harness on a real Docker engine, offline: the documented services plus compose.offline.yml (mock
 * Anthropic API as api.anthropic.com, stand-in proxy), the real Claude Code CLI in both lanes, then the report and
 * `docker compose down -v`. `make test-compose` prepares the engine first (scripts/src/prepare-docker.ts); when
 * there is no engine this fails with prepare-docker's message — it is never skipped.
 */
import { execa } from "execa";
import { readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { COMPOSE_DIR, LOCAL_IMAGES, runComposeDemo, type ComposeDemoResult } from "../src/compose/compose-demo.js";
import { freePort } from "../src/lanes/processes.js";
import { ANALYZER_CLI, REPO_ROOT } from "../src/lanes/repo.js";
import { tempDir } from "../test/temp.js";
import { isMessages, readCapture } from "./captures.js";

const CANARY_KEY = `sk-ant-canary-compose-${process.pid}-DO-NOT-LEAK`;
const PROXY_TOKEN = `proxy-token-canary-${process.pid}`;
const PROJECT = `headroom-capture-e2e-${process.pid}`;

const readJsonl = (file: string) => readCapture<{ method: string; url: string; response_status: number | null }>(file);

async function docker(args: string[], env: Record<string, string> = {}) {
  return execa("docker", args, { cwd: COMPOSE_DIR, env, reject: false, stdin: "ignore" });
}

/** Image ids without a tag: what a build leaves behind when it moves a tag to a new image. */
async function danglingImages(): Promise<string[]> {
  const listed = await docker(["images", "--filter", "dangling=true", "--quiet", "--no-trunc"]);
  return String(listed.stdout).split("\n").filter(Boolean).sort();
}

/** Containers, networks and volumes Compose made for a project, one line each; empty when it is all gone. */
async function projectLeftovers(project: string): Promise<string[]> {
  const label = `label=com.docker.compose.project=${project}`;
  const found: string[] = [];
  for (const kind of [["ps", "-a"], ["network", "ls"], ["volume", "ls"]]) {
    const listed = await docker([...kind, "--filter", label, "--format", "{{.Names}}{{.Name}}"]);
    found.push(...String(listed.stdout).split("\n").filter(Boolean).map((name) => `${kind[0]}: ${name}`));
  }
  return found;
}

describe("docker compose config", () => {
  const configs: Array<[string, string[]]> = [
    ["the plain file", []],
    ["the plain file, run profile", ["--profile", "run"]],
    ["with the offline overlay, run profile", ["-f", "docker-compose.yml", "-f", "compose.offline.yml", "--profile", "run"]],
    ["with the real-Headroom overlay, run profile", ["-f", "docker-compose.yml", "-f", "compose.offline.yml", "-f", "compose.real-headroom.yml", "--profile", "run"]],
  ];
  test.each(configs)("is valid: %s", async (_name, args) => {
    const result = await docker(["compose", ...args, "config", "--quiet"], { PATH: process.env.PATH ?? "", HOME: os.homedir() });
    expect(result.exitCode, String(result.stderr)).toBe(0);
  });

  test.each(configs)("builds each image in one service only: %s", async (_name, args) => {
    const result = await docker(["compose", ...args, "--profile", "run", "config", "--format", "json"], { PATH: process.env.PATH ?? "", HOME: os.homedir() });
    const config = JSON.parse(String(result.stdout)) as { services: Record<string, { image: string; build?: unknown }> };
    const builders = new Map<string, string[]>();
    for (const [name, service] of Object.entries(config.services)) {
      if (!builders.has(service.image)) builders.set(service.image, []);
      if (service.build) builders.get(service.image)!.push(name);
    }
    for (const [image, services] of builders) expect(services, image).toHaveLength(1);
  });

  test("publishes ports on 127.0.0.1 only", async () => {
    const result = await docker(["compose", "--profile", "run", "config", "--format", "json"], { PATH: process.env.PATH ?? "", HOME: os.homedir() });
    const config = JSON.parse(String(result.stdout)) as { services: Record<string, { ports?: Array<{ host_ip?: string }> }> };
    const ports = Object.values(config.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port.host_ip).toBe("127.0.0.1");
  });
});

describe("the offline overlay end to end on a real Docker engine", () => {
  const work = tempDir("headroom-compose-e2e-");
  const captures = path.join(work, "captures");
  let result: ComposeDemoResult;
  let danglingBefore: string[] = [];

  beforeAll(async () => {
    for (const image of Object.values(LOCAL_IMAGES)) {
      const inspect = await docker(["image", "inspect", image]);
      if (inspect.exitCode !== 0) throw new Error(`image ${image} is missing: run \`make docker-prepare\` first`);
    }
    danglingBefore = await danglingImages();
    // `make test-compose` has prepared the images already, so this is a second `make demo-docker`, preparation included.
    result = await runComposeDemo({
      capturesDir: captures,
      projectName: PROJECT,
      realHeadroom: false,
      keep: false,
      prepare: true,
      env: { PATH: process.env.PATH, HOME: os.homedir(), ANTHROPIC_API_KEY: CANARY_KEY, HEADROOM_PROXY_TOKEN: PROXY_TOKEN },
      log: () => {},
    });
  }, 900_000);

  test("both claude services exit 0 and print the mock's final text", () => {
    expect(result.failure).toBeUndefined();
    expect(result.lanes.map((l) => l.service)).toEqual(["claude-direct", "claude-headroom"]);
    for (const lane of result.lanes) {
      expect(lane.exitCode, `${lane.service}: ${lane.stderr}`).toBe(0);
      expect(lane.stdout).toMatch(/MOCK-FINAL/);
    }
    expect(result.proxyHealthy).toBe(true);
  });

  test("the three capture files hold /v1/messages exchanges, 0600 inside a 0700 folder", () => {
    expect(statSync(captures).mode & 0o777).toBe(0o700);
    for (const lane of ["direct", "headroom-client", "headroom-upstream"]) {
      const file = path.join(captures, `${lane}.jsonl`);
      expect(statSync(file).mode & 0o777, file).toBe(0o600);
      const messages = readJsonl(file).filter(isMessages);
      expect(messages.length, lane).toBeGreaterThanOrEqual(2);
      expect(messages.every((r) => r.response_status === 200)).toBe(true);
    }
  });

  test("the report builds from them and pairs the lanes", () => {
    const report = JSON.parse(readFileSync(result.report!.json, "utf8")) as { paired: Array<{ route: string }> };
    expect(report.paired.filter((p) => p.route.includes("/v1/messages")).length).toBeGreaterThanOrEqual(2);
    expect(readFileSync(result.report!.markdown, "utf8")).toContain("Differential Network Capture Report");
  });

  test("neither the API key nor the proxy token appears anywhere in the captures", () => {
    const files = readdirSync(captures).map((name) => path.join(captures, name));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const text = readFileSync(file, "latin1");
      expect(text.includes(CANARY_KEY), file).toBe(false);
      expect(text.includes(PROXY_TOKEN), file).toBe(false);
    }
  });

  test("after docker compose down -v no container, network or volume of the project is left", async () => {
    expect(await projectLeftovers(PROJECT)).toEqual([]);
  });

  test("a second `make demo-docker` (images already prepared) leaves no dangling image", async () => {
    expect(await danglingImages()).toEqual(danglingBefore);
  });
});

describe("the Compose demo stopped with Ctrl-C while a lane runs", () => {
  const project = `headroom-capture-int-${process.pid}`;
  test("exit 130 after docker compose down -v: no container, network or volume left, no compose process running", async () => {
    const work = tempDir("headroom-compose-int-");
    const demo = execa(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts/src/compose/compose-demo.ts"),
      "--no-prepare", "--project-name", project, "--captures", path.join(work, "captures"), "--progress-every", "1"], {
      cwd: REPO_ROOT,
      env: { ANTHROPIC_API_KEY: CANARY_KEY, CLAUDE_COMMAND: "sleep 300" },
      reject: false,
      timeout: 600_000,
      // Ctrl-C is one SIGINT: no SIGKILL after it (execa's default after 5 s), `down -v` takes longer than that.
      forceKillAfterDelay: false,
    });
    let seen = "";
    await new Promise<void>((resolve) => {
      demo.stderr?.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes("claude-direct: waiting for the API response")) resolve();
      });
      void demo.then(() => resolve());
    });
    // The lane's container is up (its progress line came): Ctrl-C now.
    demo.kill("SIGINT");
    const result = await demo;
    expect(result.exitCode, `${seen}\n${String(result.stdout)}`).toBe(130);
    expect(String(result.stderr)).toContain("SIGINT: stopping; compose down -v");
    expect(await projectLeftovers(project)).toEqual([]);
    const ps = await execa("ps", ["-eo", "args"], { reject: false });
    expect(String(ps.stdout).split("\n").filter((line) => line.includes(project))).toEqual([]);
  }, 900_000);
});

describe("the README's Compose commands, as written (COMPOSE_FILE adds the offline overlay)", () => {
  const work = tempDir("headroom-compose-readme-");
  const captures = path.join(work, "captures");
  const project = `headroom-capture-readme-${process.pid}`;
  const LOCAL_BASE = "hdnc/debian:trixie";
  let env: Record<string, string>;
  const compose = (args: string[]) =>
    execa("docker", ["compose", ...args], { cwd: COMPOSE_DIR, env, extendEnv: false, reject: false, stdin: "ignore", timeout: 900_000 });
  const runs: Record<string, { exitCode: number | undefined; stdout: string; stderr: string }> = {};
  let danglingBefore: string[] = [];
  /** The images the project's tags named before `up --build`: a rebuild may leave these behind, nothing else. */
  const imagesBefore = new Set<string>();
  let upOutput = "";

  beforeAll(async () => {
    env = {
      PATH: process.env.PATH ?? "",
      HOME: os.homedir(),
      COMPOSE_PROJECT_NAME: project,
      COMPOSE_FILE: "docker-compose.yml:compose.offline.yml",
      CAPTURES_DIR: captures,
      ANTHROPIC_API_KEY: CANARY_KEY,
      CLAUDE_PROMPT: "Summarize this repository in one sentence.",
      // No registry here: `--build` builds every image on the locally imported Debian.
      MITM_BASE_IMAGE: LOCAL_BASE,
      HEADROOM_BASE_IMAGE: LOCAL_BASE,
      RUNNER_BASE_IMAGE: LOCAL_BASE,
      TOOLS_BASE_IMAGE: LOCAL_BASE,
      MITM_DIRECT_PORT: String(await freePort()),
      MITM_HEADROOM_CLIENT_PORT: String(await freePort()),
      HEADROOM_PORT: String(await freePort()),
    };
    await execa("mkdir", ["-p", captures]);
    danglingBefore = await danglingImages();
    const images = String((await compose(["--profile", "run", "config", "--images"])).stdout).split("\n").filter(Boolean);
    for (const image of new Set(images)) {
      const id = await docker(["image", "inspect", "--format", "{{.Id}}", image]);
      if (id.exitCode === 0) imagesBefore.add(String(id.stdout).trim());
    }
    // `docker compose up --build ...` stays in the foreground, as in the README; the runs happen beside it.
    const up = execa("docker", ["compose", "up", "--build", "mitm-direct", "mitm-headroom-upstream", "headroom-proxy", "mitm-headroom-client"], {
      cwd: COMPOSE_DIR, env, extendEnv: false, reject: false, stdin: "ignore", timeout: 900_000,
    });
    try {
      const deadline = Date.now() + 600_000;
      for (;;) {
        const ps = await compose(["ps", "--format", "{{.Service}} {{.Health}}"]);
        const healthy = String(ps.stdout).split("\n").filter((line) => line.endsWith(" healthy")).length;
        if (healthy >= 5) break; // the four services and the mock they depend on
        if (up.exitCode !== null || Date.now() > deadline) {
          const result = await up;
          throw new Error(`docker compose up did not bring the services up: ${String(result.stderr).split("\n").slice(-8).join("\n")}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      for (const service of ["claude-direct", "claude-headroom"]) {
        const run = await compose(["--profile", "run", "run", "--rm", service]);
        runs[service] = { exitCode: run.exitCode, stdout: String(run.stdout), stderr: String(run.stderr) };
      }
    } finally {
      up.kill("SIGINT");
      const stopped = await up;
      upOutput = `${String(stopped.stdout)}\n${String(stopped.stderr)}`;
      await compose(["--profile", "run", "down", "-v", "--remove-orphans"]);
    }
  }, 1_200_000);

  test("`run` reuses the running services: none is recreated", () => {
    for (const service of ["claude-direct", "claude-headroom"]) {
      expect(runs[service]?.stderr ?? "", service).not.toMatch(/Recreat/);
    }
    expect(upOutput).not.toMatch(/Recreat/);
  });

  test("each image is built once: `up --build` leaves no dangling image of its own making", async () => {
    // Three builds of one tag leave two fresh untagged images; one build leaves at most the tag's previous image.
    const fresh = (await danglingImages()).filter((id) => !danglingBefore.includes(id) && !imagesBefore.has(id));
    expect(fresh).toEqual([]);
  });

  test("up --build, then both `run --rm` lanes exit 0 with the mock's final text", () => {
    for (const service of ["claude-direct", "claude-headroom"]) {
      expect(runs[service]?.exitCode, `${service}: ${runs[service]?.stderr}`).toBe(0);
      expect(runs[service]?.stdout).toMatch(/MOCK-FINAL/);
    }
  });

  test("the README's headroom-analyze command builds both reports from the captures", async () => {
    const result = await execa(process.execPath, [ANALYZER_CLI, "network-diff",
      "--direct", path.join(captures, "direct.jsonl"), "--headroom", path.join(captures, "headroom-client.jsonl"),
      "--output", path.join(captures, "report.md"), "--json-output", path.join(captures, "report.json")], { reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toContain(`Wrote Markdown report: ${path.join(captures, "report.md")}`);
    const report = JSON.parse(readFileSync(path.join(captures, "report.json"), "utf8")) as { paired: unknown[] };
    expect(report.paired.length).toBeGreaterThanOrEqual(2);
    for (const name of readdirSync(captures)) expect(readFileSync(path.join(captures, name), "latin1").includes(CANARY_KEY), name).toBe(false);
  });

  test("nothing of the project is left after down -v", async () => {
    const listed = await docker(["ps", "-a", "--filter", `label=com.docker.compose.project=${project}`, "--format", "{{.Names}}"]);
    expect(String(listed.stdout).trim()).toBe("");
  });
});

describe("the real Headroom proxy in Compose, offline (compose.real-headroom.yml, the pinned Headroom image)", () => {
  const work = tempDir("headroom-compose-real-");
  const captures = path.join(work, "captures");
  let result: ComposeDemoResult;
  const messages = (lane: string) => readCapture<{ method: string; url: string; request_body_size: number }>(path.join(captures, `${lane}.jsonl`)).filter(isMessages);

  beforeAll(async () => {
    result = await runComposeDemo({
      capturesDir: captures,
      projectName: `${PROJECT}-real`,
      realHeadroom: true,
      keep: false,
      prepare: false,
      env: { PATH: process.env.PATH, HOME: os.homedir(), ANTHROPIC_API_KEY: CANARY_KEY },
      log: () => {},
    });
  }, 900_000);

  test("Headroom becomes healthy and both claude services exit 0", () => {
    expect(result.failure).toBeUndefined();
    expect(result.proxyHealthy).toBe(true);
    for (const lane of result.lanes) expect(lane.exitCode, `${lane.service}: ${lane.stderr}`).toBe(0);
  });

  test("it compresses: >= 10 % fewer bytes upstream, >= 10 % fewer paired prompt tokens, the Bash result named", () => {
    const sum = (lane: string) => messages(lane).reduce((total, r) => total + r.request_body_size, 0);
    expect(sum("headroom-upstream")).toBeLessThanOrEqual(sum("headroom-client") * 0.9);
    const report = JSON.parse(readFileSync(result.report!.json, "utf8")) as {
      summary: { paired_tokens: { direct: { prompt_tokens: number }; headroom: { prompt_tokens: number } } };
    };
    expect(report.summary.paired_tokens.headroom.prompt_tokens).toBeLessThanOrEqual(report.summary.paired_tokens.direct.prompt_tokens * 0.9);
    const proxy = JSON.parse(readFileSync(result.report!.proxyJson, "utf8")) as {
      proxy_account: { rows: Array<{ changed_tool_results: Array<{ tool: string }> }>; stats: unknown };
    };
    expect(proxy.proxy_account.rows.flatMap((row) => row.changed_tool_results.map((r) => r.tool))).toContain("Bash");
    expect(proxy.proxy_account.stats).not.toBeNull();
  });
});
