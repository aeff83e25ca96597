/**
 * Reading a lane's capture in the end-to-end tests: one record per JSONL line, typed as far as
 * each test looks, and the Messages API requests among them.
 */
import { readFileSync } from "node:fs";

/** The records of a capture file (blank lines skipped). */
export function readCapture<T>(file: string): T[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

/** A `POST /v1/messages` record: a turn of the conversation, as opposed to side requests. */
export function isMessages(record: { method: string; url: string }): boolean {
  return record.method === "POST" && new URL(record.url).pathname === "/v1/messages";
}
