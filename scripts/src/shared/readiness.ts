/**
 * The readiness convention shared by the mock and the stand-in: when a server is ready it prints exactly one JSON
 * line on stdout, {"event":"listening",...}; everything else goes to stderr. A runner waits for that line instead
 * of sleeping, and reads the URL (with the OS-chosen port) from it.
 */

export interface ListeningEvent {
  event: "listening";
  url: string;
  [extra: string]: unknown;
}

export function announceListening(details: Omit<ListeningEvent, "event">): void {
  process.stdout.write(JSON.stringify({ event: "listening", ...details }) + "\n");
}

/** Parse one stdout line; the readiness event or null. */
export function parseListeningLine(line: string): ListeningEvent | null {
  try {
    const value = JSON.parse(line) as unknown;
    if (value && typeof value === "object" && (value as ListeningEvent).event === "listening") return value as ListeningEvent;
  } catch {
    // not a readiness line
  }
  return null;
}

/** Log one line to stderr, prefixed with the component's name. */
export function logLine(component: string, message: string): void {
  process.stderr.write(`[${component}] ${message}\n`);
}

/** Close on SIGTERM / SIGINT and exit 0. */
export function closeOnSignals(component: string, close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logLine(component, `${signal}: closing`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logLine(component, `error while closing: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
