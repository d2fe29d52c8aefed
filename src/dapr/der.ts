/**
 * A small DER (ITU-T X.690) encoder, and a reader for what it writes: just what X.509 certificates need
 * (src/dapr/mint.ts). Only low tag numbers (< 31) are supported, which covers every universal type used
 * here and the context tags [0] to [30].
 */

/** Universal tags (X.690 8.1.2), with the constructed bit set where DER requires it. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The length octets: short form below 128, else long form (0x80 | count, then big-endian bytes). */
export function encodeLength(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`DER: invalid length ${n}`);
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One tag-length-value element. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, Buffer.concat(items));
/** A SET of one element (X.509 names only ever use single-valued RDNs here, so no DER sorting is needed). */
export const set = (item: Uint8Array): Buffer => tlv(TAG.SET, item);
export const octetString = (bytes: Uint8Array): Buffer => tlv(TAG.OCTET_STRING, bytes);
export const boolean = (value: boolean): Buffer => tlv(TAG.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));

/** An explicitly tagged [n] (context-specific, constructed), e.g. a certificate's [0] version and [3] extensions. */
export function contextTag(n: number, content: Uint8Array): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new Error(`DER: unsupported context tag [${n}]`);
  return tlv(0xa0 | n, content);
}

/**
 * A non-negative INTEGER, from a bigint or big-endian magnitude bytes: minimal two's complement, so leading
 * zero bytes are dropped and one 0x00 is prepended when the top bit is set (else it would read as negative).
 */
export function integer(value: bigint | number | Uint8Array): Buffer {
  let bytes: Buffer;
  if (value instanceof Uint8Array) {
    bytes = Buffer.from(value);
  } else {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`DER: ${value} is not an integer`);
    const v = BigInt(value);
    if (v < 0n) throw new Error('DER: negative INTEGERs are not supported');
    const hex = v.toString(16);
    bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(TAG.INTEGER, bytes);
}

/** An OBJECT IDENTIFIER from its dotted form: first two arcs as 40*a+b, then base-128 with continuation bits. */
export function oid(dotted: string): Buffer {
  if (!/^[0-2](\.\d+)+$/.test(dotted)) throw new Error(`DER: invalid OID ${dotted}`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [a = 0n, b = 0n, ...rest] = arcs;
  if (a < 2n && b > 39n) throw new Error(`DER: invalid OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(TAG.OID, Buffer.from(out));
}

/** A BIT STRING: the count of unused bits in the last byte, then the bytes. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw new Error(`DER: invalid BIT STRING unused bits ${unusedBits}`);
  }
  return tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * A named bit list (e.g. KeyUsage) as DER wants it: bit 0 is the most significant bit of the first byte, and
 * trailing zero bits are not encoded (X.690 11.2.2). Go's x509 writes KeyUsage the same way.
 */
export function namedBits(bits: readonly number[]): Buffer {
  const bad = bits.find((b) => !Number.isInteger(b) || b < 0 || b > 255);
  if (bad !== undefined) throw new Error(`DER: invalid named bit ${bad}`);
  if (bits.length === 0) return bitString(Buffer.alloc(0));
  const top = Math.max(...bits);
  const bytes = Buffer.alloc((top >> 3) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return bitString(bytes, bytes.length * 8 - (top + 1));
}

/**
 * A certificate time per RFC 5280 4.1.2.5: UTCTime (YYMMDDHHMMSSZ) for 1950 through 2049, GeneralizedTime
 * (YYYYMMDDHHMMSSZ) otherwise; always UTC, whole seconds (milliseconds are truncated, as Go's x509 does).
 */
export function time(date: Date): Buffer {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new Error('DER: invalid date');
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new Error(`DER: year ${year} cannot be encoded`);
  const two = (n: number): string => String(n).padStart(2, '0');
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) return tlv(TAG.UTC_TIME, Buffer.from(`${two(year % 100)}${rest}`, 'ascii'));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${String(year).padStart(4, '0')}${rest}`, 'ascii'));
}

/** PrintableString's alphabet (X.680 41.4), without '*' and '&', which Go's encoding/asn1 also refuses there. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * A DirectoryString the way Go's encoding/asn1 marshals a plain string (as in pkix.Name): PrintableString when
 * every character allows it, else UTF8String.
 */
export function directoryString(s: string): Buffer {
  if (PRINTABLE.test(s)) return tlv(TAG.PRINTABLE_STRING, Buffer.from(s, 'ascii'));
  if (Buffer.from(s, 'utf8').toString('utf8') !== s) throw new Error('DER: string is not valid Unicode');
  return tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));
}

/** A decoded element: its tag, its content, and the whole encoding (tag, length and content). */
export interface Tlv {
  tag: number;
  content: Buffer;
  raw: Buffer;
}

/** Reads the DER element at `offset` (definite lengths only, as DER requires). */
export function readTlv(buf: Buffer, offset = 0): Tlv {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('DER: truncated element');
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: high tag numbers are not supported');
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error('DER: unsupported length encoding');
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = buf[offset + 2 + i];
      if (b === undefined) throw new Error('DER: truncated length');
      length = length * 256 + b;
    }
    header += count;
  }
  const end = offset + header + length;
  if (end > buf.length) throw new Error('DER: element runs past the end of its input');
  return { tag, content: buf.subarray(offset + header, end), raw: buf.subarray(offset, end) };
}

/** The elements of a constructed element's content, in order. */
export function readChildren(content: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < content.length; ) {
    const t = readTlv(content, offset);
    out.push(t);
    offset += t.raw.length;
  }
  return out;
}
