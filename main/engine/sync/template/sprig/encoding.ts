// Sprig's encodings, hashes and JSON. A failed b64dec/b32dec renders Go's error text as its value, as sprig does.
import { createHash } from 'node:crypto'
import { FuncError } from '../errors.ts'
import { fromJson, toJson } from '../json.ts'
import { fixed, type GoFunction } from '../signature.ts'
import { bytesOf } from '../values.ts'

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const isNewline = (c: string | undefined) => c === '\n' || c === '\r'

class CorruptInput extends Error {
  constructor(readonly offset: number) {
    super()
  }
}

/** base64.StdEncoding.DecodeString: padding required, \r and \n skipped, errors at Go's byte offsets. */
function base64Decode(src: string): string {
  let out = ''
  let si = 0
  while (si < src.length) {
    const quantum: number[] = []
    let length = 4
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return out
        throw new CorruptInput(si - j)
      }
      const c = src[si++]!
      const value = BASE64.indexOf(c)
      if (value >= 0) {
        quantum[j] = value
        continue
      }
      if (isNewline(c)) {
        j--
        continue
      }
      if (c !== '=' || j < 2) throw new CorruptInput(si - 1)
      if (j === 2) {
        while (isNewline(src[si])) si++
        if (si === src.length) throw new CorruptInput(src.length)
        if (src[si] !== '=') throw new CorruptInput(si - 1)
        si++
      }
      while (isNewline(src[si])) si++
      if (si < src.length) throw new CorruptInput(si)
      length = j
      break
    }
    const bits = ((quantum[0] ?? 0) << 18) | ((quantum[1] ?? 0) << 12) | ((quantum[2] ?? 0) << 6) | (quantum[3] ?? 0)
    out += String.fromCharCode((bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff).slice(0, length - 1)
  }
  return out
}

/** base32.StdEncoding.DecodeString: newlines removed first, then 8-character quanta with strict padding. */
function base32Decode(s: string): string {
  const src = s.replace(/[\r\n]/g, '')
  let out = ''
  let i = 0
  let end = false
  while (i < src.length && !end) {
    const quantum: number[] = []
    let length = 8
    for (let j = 0; j < 8; ) {
      if (i === src.length) throw new CorruptInput(i - j)
      const c = src[i++]!
      const remaining = src.length - i
      if (c === '=' && j >= 2 && remaining < 8) {
        if (remaining + j < 7) throw new CorruptInput(src.length)
        for (let k = 0; k < 7 - j; k++) if (remaining > k && src[i + k] !== '=') throw new CorruptInput(i + k - 1)
        length = j
        end = true
        if (length === 1 || length === 3 || length === 6) throw new CorruptInput(i - 1)
        break
      }
      const value = BASE32.indexOf(c)
      if (value < 0) throw new CorruptInput(i - 1)
      quantum[j++] = value
    }
    let bits = 0n
    for (let j = 0; j < 8; j++) bits = (bits << 5n) | BigInt(quantum[j] ?? 0)
    const bytes = [32n, 24n, 16n, 8n, 0n].map((shift) => String.fromCharCode(Number((bits >> shift) & 0xffn)))
    out += bytes.slice(0, { 8: 5, 7: 4, 5: 3, 4: 2, 2: 1 }[length] ?? 0).join('')
  }
  return out
}

function decodeOrError(decode: (s: string) => string, name: string): (s: string) => string {
  return (s) => {
    try {
      return decode(s)
    } catch (error) {
      if (error instanceof CorruptInput) return `illegal ${name} data at input byte ${error.offset}`
      throw error
    }
  }
}

function base32Encode(s: string): string {
  const bytes = bytesOf(s)
  let out = ''
  for (let i = 0; i < bytes.length; i += 5) {
    const chunk = bytes.subarray(i, i + 5)
    let bits = 0n
    for (let k = 0; k < 5; k++) bits = (bits << 8n) | BigInt(chunk[k] ?? 0)
    const chars = Math.ceil((chunk.length * 8) / 5)
    for (let k = 0; k < 8; k++) out += k < chars ? BASE32[Number((bits >> BigInt(35 - 5 * k)) & 31n)] : '='
  }
  return out
}

const hash = (algorithm: string) => fixed(['string'], (s) => createHash(algorithm).update(bytesOf(s)).digest('hex'))

function adler32(s: string): string {
  let a = 1
  let b = 0
  for (const byte of bytesOf(s)) {
    a = (a + byte) % 65521
    b = (b + a) % 65521
  }
  return String(((b << 16) | a) >>> 0)
}

/** The non-must JSON writers give "" where Go's encoder fails (NaN, infinities); toRawJson panics instead. */
const orEmpty = (encode: () => string) => {
  try {
    return encode()
  } catch (error) {
    if (error instanceof FuncError) return ''
    throw error
  }
}

export const ENCODING_FUNCTIONS: Record<string, GoFunction> = {
  b64enc: fixed(['string'], (s) => bytesOf(s).toString('base64')),
  b64dec: fixed(['string'], decodeOrError(base64Decode, 'base64')),
  b32enc: fixed(['string'], base32Encode),
  b32dec: fixed(['string'], decodeOrError(base32Decode, 'base32')),
  sha1sum: hash('sha1'),
  sha256sum: hash('sha256'),
  sha512sum: hash('sha512'),
  adler32sum: fixed(['string'], adler32),
  toJson: fixed(['any'], (v) => orEmpty(() => toJson(v))),
  mustToJson: fixed(['any'], (v) => toJson(v)),
  toPrettyJson: fixed(['any'], (v) => orEmpty(() => toJson(v, { indent: '  ' }))),
  mustToPrettyJson: fixed(['any'], (v) => toJson(v, { indent: '  ' })),
  toRawJson: fixed(['any'], (v) => toJson(v, { escapeHTML: false })),
  mustToRawJson: fixed(['any'], (v) => toJson(v, { escapeHTML: false })),
  fromJson: fixed(['string'], (s) => {
    try {
      return fromJson(s)
    } catch (error) {
      if (error instanceof FuncError) return null
      throw error
    }
  }),
  mustFromJson: fixed(['string'], (s) => fromJson(s, true)),
}
