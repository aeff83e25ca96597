/**
 * A report file being written, and the folders it needs.
 *
 * Why its own error class: a report that cannot be written is exit 1 with one line naming the
 * file, whichever command wrote it.
 */
import { mkdir, open, stat, type FileHandle } from "node:fs/promises";
import { dirname, resolve } from "node:path";

export class ReportWriteError extends Error {}

/**
 * A report file being written: pieces are buffered and written in 64 KB blocks (short-lived
 * pieces are cheap for the GC). The file is opened (and its folder created) on the first piece,
 * i.e. only after all input was read, so bad input leaves no half-written report behind.
 */
export class ReportFile {
  private handle: FileHandle | null = null;
  private pending: string[] = [];
  private pendingLength = 0;

  constructor(
    private readonly path: string,
    private readonly label: string,
  ) {}

  private fail(error: unknown): never {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new ReportWriteError(`cannot write ${this.label} report ${this.path} (${code})`);
  }

  private async flush(): Promise<void> {
    try {
      if (!this.handle) {
        const target = resolve(this.path);
        await makeFolders(dirname(target));
        this.handle = await open(target, "w");
      }
      if (this.pendingLength > 0) await this.handle.write(this.pending.join(""));
    } catch (error) {
      this.fail(error);
    }
    this.pending = [];
    this.pendingLength = 0;
  }

  readonly write = async (chunk: string): Promise<void> => {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.pendingLength >= 1 << 16) await this.flush();
  };

  async close(quiet: boolean): Promise<void> {
    await this.flush();
    try {
      await this.handle?.close();
    } catch (error) {
      this.fail(error);
    }
    if (!quiet) process.stderr.write(`Wrote ${this.label} report: ${this.path}\n`);
  }
}

/**
 * Create a folder and its missing parents, one level at a time. Not `mkdir(..., { recursive: true })`: on Node 20
 * that never returns for some impossible paths (e.g. under /proc), where a plain mkdir fails at once.
 */
export async function makeFolders(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let current = folder; !(await isPresent(current)); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const level of missing) {
    await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
}

async function isPresent(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

