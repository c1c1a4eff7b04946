// What safe inspection does with a secret's values on the main side: sizes and a binary flag for the masked
// list, one value for an explicit reveal, and digests to tell which keys changed between KV versions. Values
// never leave this module except in a RevealedValue the user asked for.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { MaskedKey, RevealedValue } from '../contract/index.ts'

/**
 * The most a reveal carries across the bridge. Kubernetes caps a whole Secret at 1 MiB, KV values may be larger:
 * up to this size the window gets every byte (it displays a few KiB, copying takes them all); beyond it the
 * window gets only the beginning and says to use the CLI.
 */
export const REVEAL_LIMIT_BYTES = 4 * 1024 * 1024

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Not valid UTF-8, or holding control bytes other than tab, newline and carriage return: shown and copied as base64. */
export function isBinary(bytes: Uint8Array): boolean {
  for (const byte of bytes) if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) return true
  try {
    strictUtf8.decode(bytes)
    return false
  } catch {
    return true
  }
}

/** A KV value as bytes: a string as its UTF-8, anything else (number, object) as the JSON the vault CLI prints. */
export function kvValueBytes(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8')
}

/** Each key's size and binary flag, in key order; never a value. */
export function maskKeys(values: ReadonlyMap<string, Buffer>): MaskedKey[] {
  return [...values.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, bytes]) => ({ key, bytes: bytes.length, binary: isBinary(bytes) }))
}

/** One value for the window: all of it up to `limit` bytes, else its beginning with `truncated` set. */
export function revealBytes(key: string, bytes: Buffer, limit = REVEAL_LIMIT_BYTES): RevealedValue {
  const binary = isBinary(bytes)
  const truncated = bytes.length > limit
  let shown = truncated ? bytes.subarray(0, limit) : bytes
  // do not cut a UTF-8 character in two: step back over its continuation bytes
  if (truncated && !binary) {
    let end = limit
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
    shown = bytes.subarray(0, end)
  }
  return { key, encoding: binary ? 'base64' : 'utf8', value: shown.toString(binary ? 'base64' : 'utf8'), bytes: bytes.length, truncated }
}

/** Per key, an HMAC of its value under a key that lives for one comparison, so equal values compare equal and nothing else is learnt. */
export function digestValues(values: ReadonlyMap<string, Buffer>, hmacKey: Buffer): Map<string, Buffer> {
  return new Map([...values.entries()].map(([key, bytes]) => [key, createHmac('sha256', hmacKey).update(bytes).digest()]))
}

export interface KeyDiff {
  added: string[]
  removed: string[]
  changed: string[]
}

/** Which keys one version added, removed or changed against an earlier one (none: every key is added). */
export function diffKeys(earlier: ReadonlyMap<string, Buffer> | undefined, later: ReadonlyMap<string, Buffer>): KeyDiff {
  const before = earlier ?? new Map<string, Buffer>()
  const sorted = (keys: Iterable<string>) => [...keys].sort((a, b) => a.localeCompare(b))
  return {
    added: sorted([...later.keys()].filter((key) => !before.has(key))),
    removed: sorted([...before.keys()].filter((key) => !later.has(key))),
    changed: sorted([...later.entries()].filter(([key, digest]) => before.has(key) && !timingSafeEqual(before.get(key)!, digest)).map(([key]) => key)),
  }
}
