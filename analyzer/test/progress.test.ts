import { describe, expect, it } from "vitest";
import { createProgress, PROGRESS_FROM_BYTES } from "../src/progress.js";

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream, writes };
}

describe("progress bar", () => {
  it("draws bytes read / total on a TTY for inputs over 50 MB, and erases itself", () => {
    const { stream, writes } = fakeStream(true);
    const progress = createProgress(PROGRESS_FROM_BYTES * 2, stream, true);
    progress.advance(PROGRESS_FROM_BYTES);
    progress.done();
    expect(writes[0]).toMatch(/^\r\[#{15} {15}\]  50% 50\/100 MB read$/);
    expect(writes.at(-1)).toBe("\r\x1b[2K");
  });

  it("stays silent when not a TTY, with --quiet, or for small inputs", () => {
    for (const [isTTY, enabled, total] of [
      [false, true, PROGRESS_FROM_BYTES * 2],
      [true, false, PROGRESS_FROM_BYTES * 2],
      [true, true, PROGRESS_FROM_BYTES - 1],
    ] as const) {
      const { stream, writes } = fakeStream(isTTY);
      const progress = createProgress(total, stream, enabled);
      progress.advance(total);
      progress.done();
      expect(writes).toEqual([]);
    }
  });
});
