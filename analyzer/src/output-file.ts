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

/** Bytes written at a time. */
const BLOCK = 1 << 16;
/** Characters encoded at a time from a long piece: at most 3 bytes each in UTF-8, so a slice always fits an empty block. */
const SLICE = BLOCK >> 3;

/**
 * Text waiting to be written, encoded into one block of bytes kept for the whole file and written
 * out whenever it is full. Why not a list of strings, or a buffer per piece: a rendered piece is
 * often a long chain of joined strings, and held until its block is written it would outlive the
 * young generation and be garbage in the old one, collected late; and buffers made and freed per
 * piece (a report head can be megabytes) are memory the C allocator keeps. Pieces are encoded as
 * they come, and nothing is allocated per piece.
 */
class BlockWriter {
  private readonly block = Buffer.allocUnsafeSlow(BLOCK);
  private used = 0;
  /** Appends run one after another, even when a caller does not wait for the last one. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly out: (bytes: Buffer) => Promise<void>) {}

  /** Add `text`; resolves once the block it filled (if any) is written. */
  add(text: string): Promise<void> {
    const appended = this.queue.then(() => this.append(text));
    this.queue = appended.catch(() => undefined);
    return appended;
  }

  /** Write whatever is waiting. */
  flush(): Promise<void> {
    const flushed = this.queue.then(() => this.writeBlock());
    this.queue = flushed.catch(() => undefined);
    return flushed;
  }

  private async append(text: string): Promise<void> {
    let at = 0;
    while (at < text.length) {
      let end = Math.min(text.length, at + SLICE);
      if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end += 1; // a surrogate pair stays whole
      const slice = at === 0 && end === text.length ? text : text.slice(at, end);
      if (this.used + Buffer.byteLength(slice) > BLOCK) await this.writeBlock();
      this.used += this.block.write(slice, this.used);
      at = end;
    }
  }

  private async writeBlock(): Promise<void> {
    if (this.used === 0) return;
    const used = this.used;
    this.used = 0;
    await this.out(this.block.subarray(0, used));
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
  private readonly pending = new BlockWriter(async (bytes) => {
    await this.handle?.write(bytes);
  });

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
    try {
      await this.pending.add(text);
    } catch (error) {
      this.fail(error);
    }
  }

  private async flush(): Promise<void> {
    try {
      await this.pending.flush();
    } catch (error) {
      this.fail(error);
    }
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
 * A report file being written: pieces are encoded into 64 KB blocks (BlockWriter). The file is opened
 * (and its folder created) when the first block is written or the file closed, i.e. only after all
 * input was read, so bad input leaves no half-written report behind.
 */
export class ReportFile {
  private handle: FileHandle | null = null;
  private readonly pending = new BlockWriter(async (bytes) => {
    await (await this.opened()).write(bytes);
  });

  constructor(
    private readonly path: string,
    private readonly label: string,
  ) {}

  private fail(error: unknown): never {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new OutputError(`cannot write ${this.label} report ${this.path} (${code})`);
  }

  private async opened(): Promise<FileHandle> {
    if (!this.handle) {
      const target = resolve(this.path);
      await makeFolders(dirname(target));
      // Private like the captures it is drawn from (it quotes request content), even over an older 0644 file.
      this.handle = await open(target, "w", 0o600);
      await this.handle.chmod(0o600);
    }
    return this.handle;
  }

  private async flush(): Promise<void> {
    try {
      await this.pending.flush();
      await this.opened();
    } catch (error) {
      this.fail(error);
    }
  }

  readonly write = async (chunk: string): Promise<void> => {
    try {
      await this.pending.add(chunk);
    } catch (error) {
      this.fail(error);
    }
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
