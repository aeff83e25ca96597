/**
 * Pseudonyms: keyed, length-keeping stand-ins for strings, bytes and hashes, for sanitize.ts.
 *
 * Why keyed and deterministic: a sanitized pair of captures must give the same report as the
 * originals. The report compares values at the same JSON path across lanes (changed or not) and
 * matches ids (a tool_use `id` and the `tool_use_id` that answers it), so equal strings must stay
 * equal and different ones different, in every file of a run. An HMAC-SHA256 under a secret key
 * does that without a dictionary: nobody without the key can test guesses ("is this `yes`?").
 *
 * Why length-keeping: sizes are part of the report (body bytes, tools bytes), so a string is
 * replaced by one whose JSON text has exactly as many bytes as the original's JSON text
 * (`"a\nb"` is 4 bytes inside its quotes, so is its stand-in). The stand-in is up to 22
 * characters of the HMAC (base64url, 132 bits) then `.` filler: `toolu_` and similar id prefixes
 * and Claude Code's billing-header prefix are kept so the kind of a value stays readable.
 *
 * Short strings have few stand-ins of their length (64 of 1 character), so two different short
 * strings could get the same one; every short stand-in given out is remembered, and a clash picks
 * the next candidate. Only when a length has run out of stand-ins do two strings share one
 * (counted in `clashes`).
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { BILLING_HEADER_PREFIX } from "./prompt.js";

/** Characters of HMAC (base64url, 6 bits each) in a stand-in; the rest is FILL. */
const CODE_CHARS = 22;
const FILL = ".";
/** Stand-ins this short (in characters after any kept prefix) are checked for clashes. */
const CHECKED_UP_TO = 10;
/** Candidates tried for a short string before it shares a stand-in. */
const MAX_ATTEMPTS = 64;
/** Id prefixes kept (`toolu_01AbC…` -> `toolu_` + code): they say what an id is, nothing more. */
const ID_PREFIX = /^(?:toolu|srvtoolu|mcptoolu|msg|req|file|msgbatch)_(?=[A-Za-z0-9]{8,}$)/;
/** Text prefixes kept: Claude Code's per-request billing system block (the analyzer leaves it out of the prompt by it). */
const TEXT_PREFIXES = [BILLING_HEADER_PREFIX];
/**
 * Characters of long strings whose stand-ins are remembered: every Claude Code request repeats the
 * conversation so far, so most strings were seen one request before, and a lookup is far cheaper
 * than measuring and hashing them again. Past the bound the memory is dropped and starts over.
 */
const REMEMBERED_CHARS = 64 << 20;
/** A string whose JSON text is itself: printable ASCII without `"` and `\`. */
const PLAIN_JSON = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Bytes of `text` as JSON, without the quotes. */
export function jsonLength(text: string): number {
  return PLAIN_JSON.test(text) ? text.length : Buffer.byteLength(JSON.stringify(text)) - 2;
}

function keptPrefix(text: string): string {
  const id = ID_PREFIX.exec(text);
  if (id) return id[0];
  return TEXT_PREFIXES.find((prefix) => text.startsWith(prefix)) ?? "";
}

export class Pseudonyms {
  private readonly key: Buffer;
  /** Short originals -> their stand-ins, and stand-ins given out -> their originals. */
  private readonly shortStandIns = new Map<string, string>();
  private readonly owners = new Map<string, string>();
  private readonly longStandIns = new Map<string, string>();
  private rememberedChars = 0;
  /** Short strings that had to share a stand-in with another string of the same length. */
  clashes = 0;

  /** With `salt`, the same salt gives the same stand-ins in any run; without, a random key for this run. */
  constructor(salt?: string) {
    this.key = salt === undefined ? randomBytes(32) : createHash("sha256").update("headroom-analyze sanitize\0").update(salt).digest();
  }

  private mac(data: string | Buffer, attempt: number): Buffer {
    const hmac = createHmac("sha256", this.key);
    if (attempt > 0) hmac.update(`${attempt}\0`);
    return hmac.update(data).digest();
  }

  private code(data: string | Buffer, length: number, attempt: number): string {
    const code = this.mac(data, attempt).toString("base64url");
    return length <= CODE_CHARS ? code.slice(0, length) : code.slice(0, CODE_CHARS) + FILL.repeat(length - CODE_CHARS);
  }

  /** The stand-in for a string: same JSON byte length, same for the same string, different for different ones. */
  text(value: string): string {
    const remembered = value.length > CHECKED_UP_TO ? this.longStandIns.get(value) : undefined;
    if (remembered !== undefined) return remembered;
    const length = jsonLength(value);
    if (length === 0) return "";
    let prefix = keptPrefix(value);
    if (length - prefix.length < 8) prefix = "";
    const room = length - prefix.length;
    if (room > CHECKED_UP_TO) return this.remember(value, prefix + this.code(value, room, 0));
    const known = this.shortStandIns.get(value);
    if (known !== undefined) return known;
    let standIn = "";
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      standIn = prefix + this.code(value, room, attempt);
      if (!this.owners.has(standIn)) break;
      if (attempt === MAX_ATTEMPTS - 1) {
        const free = this.freeStandIn(prefix, room);
        if (free === undefined) this.clashes += 1;
        else standIn = free;
      }
    }
    this.owners.set(standIn, value);
    this.shortStandIns.set(value, standIn);
    return standIn;
  }

  /**
   * A stand-in of `room` characters nobody holds yet, looked for in order once random candidates ran out: only
   * worth it (and only done) for 1 and 2 characters, where 64 and 4,096 stand-ins fill up.
   */
  private freeStandIn(prefix: string, room: number): string | undefined {
    if (room > 2) return undefined;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const count = alphabet.length ** room;
    for (let n = 0; n < count; n++) {
      const code = room === 1 ? alphabet[n]! : alphabet[Math.floor(n / alphabet.length)]! + alphabet[n % alphabet.length]!;
      if (!this.owners.has(prefix + code)) return prefix + code;
    }
    return undefined;
  }

  private remember(value: string, standIn: string): string {
    if (value.length <= CHECKED_UP_TO) return standIn;
    if (this.rememberedChars + value.length > REMEMBERED_CHARS) {
      this.longStandIns.clear();
      this.rememberedChars = 0;
    }
    if (value.length <= REMEMBERED_CHARS / 4) {
      this.longStandIns.set(value, standIn);
      this.rememberedChars += value.length;
    }
    return standIn;
  }

  /** The stand-in for a SHA-256 (hex): a keyed digest of it, equal exactly when the originals are equal. */
  digest(hex: string): string {
    if (!/^[0-9a-f]{64}$/i.test(hex)) return this.text(hex);
    return this.mac(`sha256:${hex.toLowerCase()}`, 0).toString("hex");
  }

  /**
   * The stand-in for raw body bytes: as many bytes, `x` then code then filler, so it never parses
   * as JSON (a raw body that was not JSON must stay not JSON).
   */
  bytes(value: Buffer): Buffer {
    if (value.length === 0) return value;
    return Buffer.from(`x${this.code(value, value.length - 1, 0)}`, "latin1");
  }
}
