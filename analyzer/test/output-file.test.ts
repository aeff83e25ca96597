import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PrivateOutput, ReportFile } from "../src/output-file.js";
import { tempDir } from "./helpers.js";

/** Text with what UTF-8 encodes in 1 to 4 bytes, surrogate pairs included, in pieces of any size. */
const pieces = fc.array(
  fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: fc.constantFrom("a", "é", "漢", "😀", "\n"), minLength: 5_000, maxLength: 30_000 }),
  ),
  { maxLength: 30 },
);

describe("report files", () => {
  it("hold exactly the UTF-8 of the pieces written, across slice and block boundaries", async () => {
    const dir = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(pieces, async (texts) => {
        const path = join(dir, `r${n++}.md`);
        const file = new ReportFile(path, "Markdown");
        for (const text of texts) await file.write(text);
        await file.close(true);
        expect(readFileSync(path).equals(Buffer.from(texts.join(""), "utf8"))).toBe(true);
        expect(statSync(path).mode & 0o777).toBe(0o600);
      }),
      { numRuns: 60 },
    );
  });

  it("keep the order of pieces written without waiting for each other", async () => {
    const path = join(tempDir(), "out.html");
    const output = new PrivateOutput(path, "HTML report");
    await output.open();
    const texts = Array.from({ length: 200 }, (_, i) => `${i}:${"😀".repeat(i * 37)}\n`);
    await Promise.all(texts.map((text) => output.write(text)));
    await output.finish();
    expect(readFileSync(path, "utf8")).toBe(texts.join(""));
  });
});
