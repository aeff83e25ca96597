import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { DEFAULT_SCENARIO, allowedToolsArgs, loadScenario } from "../src/mock-anthropic/scenario.js";
import {
  armEnvironment,
  interpolate,
  localCommand,
  localizeValue,
  readLaneDescription,
  serviceEnvironment,
  type LocalPlaces,
} from "../src/lanes/lane-description.js";

const places: LocalPlaces = {
  serviceUrls: { "headroom-proxy": "http://127.0.0.1:41001", "mitm-headroom-upstream": "http://127.0.0.1:41002" },
  capturesDir: "/tmp/run/captures",
  certsDir: "/tmp/run/certs",
  addonsDir: "/repo/addons",
};

describe("Compose-style interpolation", () => {
  test("defaults apply when unset; :- also when empty; - only when unset", () => {
    expect(interpolate("${A:-x}", {})).toBe("x");
    expect(interpolate("${A:-x}", { A: "" })).toBe("x");
    expect(interpolate("${A-x}", { A: "" })).toBe("");
    expect(interpolate("${A-x}", {})).toBe("x");
    expect(interpolate("a ${A} b", { A: "1" })).toBe("a 1 b");
    expect(interpolate("cost $$5", {})).toBe("cost $5");
  });
});

describe("container addresses become local ones", () => {
  test("captures, certs, addons, service URLs and bare service names", () => {
    expect(localizeValue("/captures/direct.jsonl", places)).toBe("/tmp/run/captures/direct.jsonl");
    expect(localizeValue("/certs/mitm-direct/mitmproxy-ca-cert.pem", places)).toBe(
      "/tmp/run/certs/mitm-direct/mitmproxy-ca-cert.pem",
    );
    expect(localizeValue("/addons/mitm_capture.py", places)).toBe("/repo/addons/mitm_capture.py");
    expect(localizeValue("http://mitm-headroom-upstream:8080", places)).toBe("http://127.0.0.1:41002");
    expect(localizeValue("headroom-proxy", places)).toBe("127.0.0.1");
    expect(localizeValue("https://api.anthropic.com", places)).toBe("https://api.anthropic.com");
    expect(localizeValue("api.anthropic.com", places)).toBe("api.anthropic.com");
  });
});

describe("lanes.yml, read as the local runner reads it", () => {
  const description = readLaneDescription();

  test("every lane of the Compose topology is described", () => {
    for (const service of ["mitm-direct", "mitm-headroom-upstream", "mitm-headroom-client", "headroom-proxy", "claude-direct", "claude-headroom"]) {
      expect(description.environment[service], service).toBeDefined();
    }
  });

  test("the headroom-client mitmproxy is a reverse proxy to the local proxy, capturing to headroom-client.jsonl", () => {
    const command = localCommand(description, "mitm-headroom-client", places, "/venv/bin/mitmdump");
    expect(command[0]).toBe("/venv/bin/mitmdump");
    expect(command).toContain("reverse:http://127.0.0.1:41001");
    expect(command.slice(command.indexOf("--listen-host"), command.indexOf("--listen-host") + 2)).toEqual(["--listen-host", "127.0.0.1"]);
    expect(command.slice(command.indexOf("--listen-port"), command.indexOf("--listen-port") + 2)).toEqual(["--listen-port", "0"]);
    expect(command).toContain("confdir=/tmp/run/certs/mitm-headroom-client");
    expect(command).toContain("/repo/addons/mitm_capture.py");
    const env = serviceEnvironment(description, "mitm-headroom-client", { HEADROOM_PROXY_TOKEN: "t" }, places);
    expect(env).toMatchObject({
      CAPTURE_LANE: "headroom-client",
      CAPTURE_OUTPUT: "/tmp/run/captures/headroom-client.jsonl",
      CAPTURE_PROXY_TOKEN: "t",
      CAPTURE_PROXY_TOKEN_HOSTS: "127.0.0.1",
    });
  });

  test("the lanes honour CAPTURE_INCLUDE_HOSTS and the per-lane Claude args", () => {
    expect(serviceEnvironment(description, "mitm-direct", {}, places).CAPTURE_INCLUDE_HOSTS).toBe("api.anthropic.com");
    expect(serviceEnvironment(description, "mitm-direct", { CAPTURE_INCLUDE_HOSTS: "*" }, places).CAPTURE_INCLUDE_HOSTS).toBe("*");
    expect(serviceEnvironment(description, "claude-direct", { CLAUDE_DIRECT_ARGS: "--model x" }, places).CLAUDE_LANE_ARGS).toBe("--model x");
    expect(serviceEnvironment(description, "claude-headroom", { CLAUDE_HEADROOM_ARGS: "--y" }, places).CLAUDE_LANE_ARGS).toBe("--y");
    expect(serviceEnvironment(description, "headroom-proxy", {}, places)).toMatchObject({
      HTTPS_PROXY: "http://127.0.0.1:41002",
      NODE_EXTRA_CA_CERTS: "/tmp/run/certs/mitm-headroom-upstream/mitmproxy-ca-cert.pem",
    });
  });
});

describe("arms of the proxy lane, as data in lanes.yml", () => {
  const description = readLaneDescription();

  test("headroom (optimizing) and headroom-passthrough (--no-optimize) are described", () => {
    expect(description.arms.headroom).toMatchObject({ proxyArgs: [] });
    expect(description.arms["headroom-passthrough"]).toMatchObject({ proxyArgs: ["--no-optimize"] });
  });

  test("an arm's variables name its captures and add its flags to the proxy command; the default arm keeps the old names", () => {
    const passthrough = armEnvironment(description.arms["headroom-passthrough"]!);
    expect(serviceEnvironment(description, "mitm-headroom-client", passthrough, places)).toMatchObject({
      CAPTURE_LANE: "headroom-passthrough-client",
      CAPTURE_OUTPUT: "/tmp/run/captures/headroom-passthrough-client.jsonl",
    });
    expect(serviceEnvironment(description, "mitm-headroom-upstream", {}, places).CAPTURE_OUTPUT).toBe("/tmp/run/captures/headroom-upstream.jsonl");
    expect(localCommand(description, "headroom-proxy", places, "/venv/bin/headroom", passthrough)).toEqual([
      "/venv/bin/headroom", "proxy", "--host", "127.0.0.1", "--port", "0", "--no-optimize",
    ]);
    expect(localCommand(description, "headroom-proxy", places, "/venv/bin/headroom", armEnvironment(description.arms.headroom!))).toEqual([
      "/venv/bin/headroom", "proxy", "--host", "127.0.0.1", "--port", "0",
    ]);
  });

  test("DIRECT_LANE=direct-baseline sends the direct lane's second run to its own capture", () => {
    expect(serviceEnvironment(description, "mitm-direct", { DIRECT_LANE: "direct-baseline" }, places)).toMatchObject({
      CAPTURE_LANE: "direct-baseline",
      CAPTURE_OUTPUT: "/tmp/run/captures/direct-baseline.jsonl",
    });
  });
});

describe("compose.offline.yml's defaults are the default scenario's", () => {
  test("prompt and allowed tools", () => {
    const overlay = parse(readFileSync(new URL("../../docker/differential-network-capture/compose.offline.yml", import.meta.url), "utf8")) as {
      services: Record<string, { environment: Record<string, string> }>;
    };
    const scenario = loadScenario(DEFAULT_SCENARIO);
    for (const service of ["claude-direct", "claude-headroom"]) {
      const env = overlay.services[service]!.environment;
      expect(interpolate(env.CLAUDE_PROMPT!, {})).toBe(scenario.prompt);
      expect(interpolate(env.CLAUDE_LANE_ARGS!, {})).toBe(allowedToolsArgs(scenario));
    }
  });
});
