/**
 * Output files: folders created with their missing parents, and private files that appear only
 * when complete.
 */
import { mkdir, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { OutputError } from "./errors.js";

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

/**
 * A file written under a temporary name with mode 0600 and renamed into place by finish(), so a
 * reader never sees it half-written, and an existing file of wider mode is replaced, not reused.
 */
export class PrivateOutput {
  private handle: FileHandle | null = null;
  private readonly temporary: string;
  private pending: string[] = [];
  private pendingLength = 0;

  /** `label` says what the file is in errors (`cannot write <label> <path>`). */
  constructor(
    readonly path: string,
    private readonly label: string,
  ) {
    this.temporary = `${resolve(path)}.partial-${process.pid}`;
  }

  private fail(error: unknown): never {
    throw new OutputError(`cannot write ${this.label} ${this.path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }

  async open(): Promise<void> {
    try {
      await makeFolders(dirname(this.temporary));
      // A leftover of an interrupted run with the same pid goes first: "wx" creates the file anew, so with mode 0600.
      await unlink(this.temporary).catch(() => undefined);
      this.handle = await open(this.temporary, "wx", 0o600);
    } catch (error) {
      this.fail(error);
    }
  }

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 1 << 16) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingLength === 0) return;
    try {
      await this.handle?.write(this.pending.join(""));
    } catch (error) {
      this.fail(error);
    }
    this.pending = [];
    this.pendingLength = 0;
  }

  async finish(): Promise<void> {
    await this.flush();
    try {
      await this.handle?.close();
      this.handle = null;
      await rename(this.temporary, resolve(this.path));
    } catch (error) {
      this.fail(error);
    }
  }

  async discard(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    await unlink(this.temporary).catch(() => undefined);
  }
}

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
    throw new OutputError(`cannot write ${this.label} report ${this.path} (${code})`);
  }

  private async flush(): Promise<void> {
    try {
      if (!this.handle) {
        const target = resolve(this.path);
        await makeFolders(dirname(target));
        // Private like the captures it is drawn from (it quotes request content), even over an older 0644 file.
        this.handle = await open(target, "w", 0o600);
        await this.handle.chmod(0o600);
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
