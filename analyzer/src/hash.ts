/**
 * Value hashes for JSON leaves: 53-bit numbers (exact in a double, so they fit a Float64Array)
 * that are equal for equal values and differ otherwise with ~2^-53 odds.
 *
 * Why not SHA-256 everywhere: a capture repeats megabytes of conversation per request; short
 * strings are hashed by an inline loop and only long ones natively.
 */
import { hash as oneShotHash } from "node:crypto";

/** Hashes of the values that need no hashing; every computed hash is larger. */
export const HASH_NULL = 1;
export const HASH_TRUE = 2;
export const HASH_FALSE = 3;
export const HASH_EMPTY_OBJECT = 4;
export const HASH_EMPTY_ARRAY = 5;
const SEED_STRING = 0x2f6b1d3a;
const SEED_NUMBER = 0x51ed270b;
/** Strings longer than this are hashed natively (SHA-1); shorter ones by an inline JS loop. */
const NATIVE_HASH_FROM = 192;

/** 53-bit hash of a string: equal strings, equal hashes; different ones collide with ~2^-53 odds. */
export function hashText(text: string, seed: number = SEED_STRING): number {
  const length = text.length;
  if (length >= NATIVE_HASH_FROM) {
    const digest = oneShotHash("sha1", text, "buffer") as unknown as Buffer;
    return ((digest.readUInt32LE(0) ^ seed) & 0x1fffff) * 4294967296 + digest.readUInt32LE(4);
  }
  let h1 = seed ^ length;
  let h2 = 0x9747b28c ^ seed;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return (((h1 ^ h2) >>> 0) & 0x1fffff) * 4294967296 + (Math.imul(h2, 0x27d4eb2d) >>> 0) + 8;
}

/** Hash of a number: integers mixed directly, others via their text. */
export function hashNumber(value: number): number {
  if (!Number.isInteger(value) || value > 0x7fffffff || value < -0x80000000) return hashText(String(value), SEED_NUMBER);
  let h = Math.imul(value ^ SEED_NUMBER, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((value >>> 11) & 0x1fffff) * 4294967296 + (h >>> 0) + 16;
}

