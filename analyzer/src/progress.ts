/**
 * A one-line progress bar (bytes read / total) for big inputs, so a long run does not look hung.
 * Only on a TTY: redirected stderr (CI logs, pipes) stays clean.
 */
export interface Progress {
  advance(bytes: number): void;
  /** Erase the bar (e.g. before printing a warning); the next advance draws it again. */
  clear(): void;
  /** Erase the bar for good. */
  done(): void;
}

const NO_PROGRESS: Progress = { advance() {}, clear() {}, done() {} };
/** Inputs smaller than this finish too fast to need a bar. */
export const PROGRESS_FROM_BYTES = 50 * 1024 * 1024;

export function createProgress(total: number, stream: NodeJS.WriteStream, enabled: boolean): Progress {
  if (!enabled || !stream.isTTY || total < PROGRESS_FROM_BYTES) return NO_PROGRESS;
  let read = 0;
  let lastDraw = 0;
  let shown = false;
  let finished = false;
  const width = 30;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
  const draw = () => {
    const fraction = Math.min(1, read / total);
    const filled = Math.round(fraction * width);
    stream.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${mb(read)}/${mb(total)} MB read`);
    shown = true;
  };
  const clear = () => {
    if (shown) stream.write("\r\x1b[2K");
    shown = false;
  };
  return {
    advance(bytes) {
      read += bytes;
      const now = Date.now();
      if (!finished && now - lastDraw >= 100) {
        lastDraw = now;
        draw();
      }
    },
    clear,
    done() {
      finished = true;
      clear();
    },
  };
}
