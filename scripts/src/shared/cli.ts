/** What every command line in scripts/ does with bad usage: one line on stderr, exit 2, no stack trace. */

/**
 * A yargs `.fail()` handler. Only parsing and validation reach it (these CLIs have no command handlers), so all of
 * it is bad usage; yargs' multi-line messages are folded onto one line.
 */
export function failWithUsageLine(name: string): (message: string | undefined, error: Error | undefined) => never {
  return (message, error) => {
    const text = message ?? error?.message ?? "invalid command line";
    process.stderr.write(`${name}: ${text.replace(/\s*\n\s*/g, " ")} (see --help)\n`);
    process.exit(2);
  };
}
