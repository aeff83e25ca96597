/**
 * Scanning JSON as bytes, without building strings or objects: for the places that only need to
 * know where a value ends (report-head.ts skips a report's pair rows; repeated-arrays.ts finds
 * the elements a record repeats). Strings are skipped with Buffer.indexOf, at memory speed.
 */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;

export function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export function skipWhitespace(bytes: Buffer, at: number): number {
  let position = at;
  while (position < bytes.length && isWhitespace(bytes[position])) position += 1;
  return position;
}

/** `at` is an opening quote: the position after the closing one, or -1 when the bytes end first. */
export function stringEnd(bytes: Buffer, at: number): number {
  let position = at + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, position);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let back = quote - 1; back >= at + 1 && bytes[back] === BACKSLASH; back -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    position = quote + 1;
  }
}
