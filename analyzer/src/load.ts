/**
 * Stage 1 — load: stream a JSONL capture and yield its records with file:line.
 *
 * Why streaming by hand: captures are hundreds of MB and a single line (one Claude Code request,
 * whole conversation included) can be tens of MB. Lines are cut out of the read chunks as Buffers
 * and joined once per line (no string concatenation per chunk, so no quadratic copying); the text
 * is decoded with replacement characters, so invalid UTF-8 never crashes the reader. A last line
 * that was cut short (a capture interrupted mid-write) becomes a warning instead of an error.
 * What a record repeats of the one before, byte for byte, is not decoded or parsed again (repeated-arrays.ts).
 */
import { open, stat, type FileHandle } from "node:fs/promises";
import { InputError } from "./errors.js";
import { RepeatedArrays } from "./repeated-arrays.js";

/** One line of a file: its 1-based number, its text, and whether a newline ended it. */
export interface Line {
  line: number;
  text: string;
  terminated: boolean;
}

/** One parsed record and where it came from. */
export interface RawRecord {
  file: string;
  line: number;
  record: Record<string, unknown>;
}

/**
 * A part of a file that starts at a line start and ends after a newline (or at the end of the
 * file): a lane is read in such segments on two cores (lane-readers.ts).
 */
export interface Segment {
  /** Byte offsets [start, end). */
  start: number;
  end: number;
  /** 1-based number of the segment's first line in the file. */
  firstLine: number;
  /** Whether the segment ends the file (only there is a line without a newline the file's last). */
  last: boolean;
}

export interface LoadOptions {
  /** Only this part of the file (default: all of it). */
  segment?: Segment;
  /** Called with the number of bytes just read (for a progress bar). */
  onBytes?: (bytes: number) => void;
  /** Called with a one-line message for input problems that do not stop the report. */
  onWarning?: (message: string) => void;
}

const READ_CHUNK = 1 << 20;
/** An assembly buffer grown past this (a line of tens of MB) is not kept for the next line. */
const KEEP_ASSEMBLY = 16 << 20;
const NEWLINE = 0x0a;

/** Size of `file` in bytes, or an InputError naming it when it cannot be read. */
export async function fileSize(file: string): Promise<number> {
  try {
    const handle = await open(file, "r");
    await handle.close();
    const info = await stat(file);
    if (info.isDirectory()) throw new InputError(`${file}: is a directory, not a capture file`);
    return info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown): InputError {
  return new InputError(`${file}: cannot read file (${describeFsError(error)})`);
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return code ?? "unknown error";
}

/** One line of a file as bytes (its line ending left out). */
export interface LineBytes {
  line: number;
  bytes: Buffer;
  terminated: boolean;
}

function withoutCr(buffer: Buffer): Buffer {
  // A CR before the LF belongs to the line ending, not the record.
  return buffer.length > 0 && buffer[buffer.length - 1] === 0x0d ? buffer.subarray(0, buffer.length - 1) : buffer;
}

/**
 * The line being put together from the pieces of several read chunks, in one buffer kept from
 * line to line (grown as needed; given up after a very long line).
 */
class LineAssembly {
  private buffer = Buffer.allocUnsafeSlow(0);
  length = 0;

  append(piece: Buffer): void {
    const needed = this.length + piece.length;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.buffer.length * 2, READ_CHUNK));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    piece.copy(this.buffer, this.length);
    this.length = needed;
  }

  /** The line so far (valid until the next append), and a fresh start. */
  take(): Buffer {
    const line = this.buffer.subarray(0, this.length);
    this.length = 0;
    if (this.buffer.length > KEEP_ASSEMBLY) this.buffer = Buffer.allocUnsafeSlow(0);
    return line;
  }
}

/**
 * Yield the lines of `file` (or of one segment of it) one by one, as bytes; only the line being
 * assembled is held in memory. A line's bytes are valid until the next one is asked for.
 *
 * Why one read buffer and one assembly buffer for the whole file: a fresh buffer per chunk and per
 * line (hundreds of KB each, thousands of them) is freed memory the C allocator keeps, not
 * returned to the system; reusing two keeps the reader's memory flat.
 */
export async function* readLineBytes(file: string, onBytes?: (bytes: number) => void, segment?: Segment): AsyncGenerator<LineBytes> {
  await fileSize(file);
  if (segment && segment.end <= segment.start) return;
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    throw unreadable(file, error);
  }
  const chunk = Buffer.allocUnsafeSlow(READ_CHUNK);
  const assembly = new LineAssembly();
  let position = segment ? segment.start : 0;
  const end = segment ? segment.end : Number.POSITIVE_INFINITY;
  let lineNumber = segment ? segment.firstLine - 1 : 0;
  try {
    while (position < end) {
      let read: number;
      try {
        ({ bytesRead: read } = await handle.read(chunk, 0, Math.min(READ_CHUNK, end - position), position));
      } catch (error) {
        throw unreadable(file, error);
      }
      if (read === 0) break;
      position += read;
      onBytes?.(read);
      const bytes = chunk.subarray(0, read);
      let start = 0;
      let newline = bytes.indexOf(NEWLINE, start);
      while (newline !== -1) {
        lineNumber += 1;
        if (assembly.length === 0) {
          yield { line: lineNumber, bytes: withoutCr(bytes.subarray(start, newline)), terminated: true };
        } else {
          assembly.append(bytes.subarray(start, newline));
          yield { line: lineNumber, bytes: withoutCr(assembly.take()), terminated: true };
        }
        start = newline + 1;
        newline = bytes.indexOf(NEWLINE, start);
      }
      if (start < read) assembly.append(bytes.subarray(start));
    }
    if (assembly.length > 0) yield { line: lineNumber + 1, bytes: assembly.take(), terminated: false };
  } finally {
    await handle.close();
  }
}

/**
 * Yield the lines of `file` (or of one segment of it) one by one as text, decoded with
 * replacement characters for invalid UTF-8.
 */
export async function* readLines(file: string, onBytes?: (bytes: number) => void, segment?: Segment): AsyncGenerator<Line> {
  for await (const { line, bytes, terminated } of readLineBytes(file, onBytes, segment)) yield { line, text: bytes.toString("utf8"), terminated };
}

/**
 * A failed JSON.parse, described without quoting the input: V8's messages include a snippet of
 * the text, which may hold a secret.
 */
function parseProblem(error: unknown, text: string): { message: string; atEnd: boolean } {
  const raw = error instanceof Error ? error.message : "";
  if (/end of JSON input/i.test(raw)) return { message: "is not valid JSON (ends early)", atEnd: true };
  const position = /position (\d+)/.exec(raw)?.[1];
  if (position !== undefined) {
    const at = Number(position);
    const atEnd = at >= text.trimEnd().length;
    return { message: `is not valid JSON (at character ${at + 1})`, atEnd };
  }
  return { message: "is not valid JSON", atEnd: false };
}

/**
 * Yield every record of a JSONL capture. Blank lines are skipped. A line that is not JSON, or not
 * a JSON object, is an InputError naming file:line — unless it is a record cut short (it starts like
 * a record, and has no final newline or its JSON simply stops): as the last line, a capture
 * interrupted mid-write; further on, one interrupted and then resumed. Those are reported through
 * onWarning and skipped.
 */
export async function* loadRecords(file: string, options: LoadOptions = {}): AsyncGenerator<RawRecord> {
  let failed: { line: number; message: string; cutShort: boolean } | null = null;
  const repeated = new RepeatedArrays();
  for await (const { line, bytes, terminated } of readLineBytes(file, options.onBytes, options.segment)) {
    const quick = failed ? undefined : repeated.parse(bytes);
    if (quick !== undefined) {
      yield { file, line, record: quick };
      continue;
    }
    const text = bytes.toString("utf8");
    const body = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (body.trim() === "") continue;
    if (failed) {
      // A record cut short and followed by more records: the capture was interrupted and then resumed (the addon
      // starts a fresh line when it continues a file). Anything else in the middle of a file is an error.
      if (!failed.cutShort) throw new InputError(`${file}:${failed.line}: ${failed.message}`);
      options.onWarning?.(`${file}:${failed.line}: a record is cut short (capture interrupted, then resumed?); ignored it`);
      failed = null;
    }
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (error) {
      const problem = parseProblem(error, body);
      // Records are objects: a cut-short one still starts with "{" and stops early or mid-line.
      const cutShort = body.trimStart().startsWith("{") && (!terminated || problem.atEnd);
      failed = { line, message: `line ${problem.message}`, cutShort };
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InputError(`${file}:${line}: line is not a JSON object (one record per line expected)`);
    }
    repeated.learn(bytes, value as Record<string, unknown>);
    yield { file, line, record: value as Record<string, unknown> };
  }
  if (failed) {
    if (!failed.cutShort) throw new InputError(`${file}:${failed.line}: ${failed.message}`);
    // A segment that does not end the file is followed by more records.
    const resumed = options.segment !== undefined && !options.segment.last;
    options.onWarning?.(
      resumed
        ? `${file}:${failed.line}: a record is cut short (capture interrupted, then resumed?); ignored it`
        : `${file}:${failed.line}: last line is cut short (capture interrupted mid-write?); ignored it`,
    );
  }
}

/**
 * Cut `file` into segments of about `bytes` each, every one starting at a line start, numbered
 * by counting newlines (a memchr over the file, far cheaper than parsing it). A file smaller than
 * two segments is one segment.
 */
export async function planSegments(file: string, bytes: number): Promise<Segment[]> {
  const size = await fileSize(file);
  const segments: Segment[] = [];
  let start = 0;
  let firstLine = 1;
  if (size >= 2 * bytes) {
    let handle: FileHandle | undefined;
    try {
      handle = await open(file, "r");
      const buffer = Buffer.allocUnsafe(4 << 20);
      let lines = 0;
      let position = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        const read = buffer.subarray(0, bytesRead);
        for (let at = read.indexOf(NEWLINE); at !== -1; at = read.indexOf(NEWLINE, at + 1)) {
          lines += 1;
          const end = position + at + 1;
          if (end - start >= bytes && size - end >= bytes / 2) {
            segments.push({ start, end, firstLine, last: false });
            start = end;
            firstLine = lines + 1;
          }
        }
        position += bytesRead;
      }
    } catch (error) {
      throw unreadable(file, error);
    } finally {
      await handle?.close();
    }
  }
  segments.push({ start, end: size, firstLine, last: true });
  return segments;
}
