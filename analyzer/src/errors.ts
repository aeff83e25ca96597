/**
 * Errors the CLI turns into one line on stderr and a documented exit code.
 *
 * Why a class per kind: the CLI is the only place that knows about exit codes, but every stage
 * must be able to say "this is the user's input, not our bug" without printing a stack trace.
 */

/** Exit codes, documented in `--help` and analyzer/README.md. */
export const EXIT = {
  ok: 0,
  /** Unexpected failure (a bug) or a report that could not be written. */
  failure: 1,
  /** Bad input: missing/unreadable file, a line that is not JSON, a record without method or url. */
  badInput: 2,
  /** A `--fail-on` gate failed (its condition holds, or its value could not be counted); reports are written. */
  gateFailed: 3,
  /** Bad command line (unknown option, missing --direct/--headroom, ...). */
  usage: 64,
} as const;

/** Something wrong with an input file; the message names the file (and line where it applies). */
export class InputError extends Error {
  override name = "InputError";
}

/** The command line itself is wrong. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** An output file (a report, a sanitized capture) could not be written; the message names it. */
export class OutputError extends Error {
  override name = "OutputError";
}
