// Go's strconv parsing rules, for template literals and sprig's conversions (which accept "0x1F", "0755", "1_000"
// the way Go does, and reject what Go rejects).
import { goString } from './values.ts'

export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

/** Go's underscoreOK: `_` only between digits, or after a base prefix. */
function underscoreOK(s: string): boolean {
  let saw = '^'
  let i = 0
  if (s[0] === '+' || s[0] === '-') s = s.slice(1)
  const hex = /^0[xX]/.test(s)
  if (/^0[bBoOxX]/.test(s)) {
    i = 2
    saw = '0'
  }
  for (; i < s.length; i++) {
    const c = s[i]!
    if (/[0-9]/.test(c) || (hex && /[a-fA-F]/.test(c))) saw = '0'
    else if (c === '_') {
      if (saw !== '0') return false
      saw = '_'
    } else {
      if (saw === '_') return false
      saw = '!'
    }
  }
  return saw !== '_'
}

const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }
const PREFIX: Record<string, number> = { x: 16, o: 8, b: 2 }

/** strconv.ParseUint; base 0 reads the prefix (0x, 0o, 0b, or a leading 0 for octal) and allows underscores. */
export function parseUint(s: string, base: 0 | 2 | 8 | 10 | 16, max = UINT64_MAX): bigint | undefined {
  if (s === '') return undefined
  let digits = s
  let radix: number = base
  if (base === 0) {
    radix = 10
    if (s[0] === '0') {
      const prefix = PREFIX[s[1]?.toLowerCase() ?? '']
      if (s.length >= 3 && prefix) {
        radix = prefix
        digits = s.slice(2)
      } else if (s.length > 1) {
        radix = 8
        digits = s.slice(1)
      }
    }
    if (s.includes('_')) {
      if (!underscoreOK(s)) return undefined
      digits = digits.replaceAll('_', '')
    }
  }
  if (!DIGITS[radix]!.test(digits)) return undefined
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : ''
  const value = BigInt(prefix + digits)
  return value <= max ? value : undefined
}

/** strconv.ParseInt with bitSize 64. */
export function parseInt(s: string, base: 0 | 2 | 8 | 10 | 16): bigint | undefined {
  const negative = s[0] === '-'
  const body = s[0] === '+' || s[0] === '-' ? s.slice(1) : s
  const magnitude = parseUint(body, base, negative ? -INT64_MIN : INT64_MAX)
  if (magnitude === undefined) return undefined
  return negative ? -magnitude : magnitude
}

/** strconv.ParseFloat with bitSize 64; out of range is a failure, as for Go's callers here. */
export function parseFloat(s: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s)
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity
  if (s.includes('_') && !underscoreOK(s)) return undefined
  const plain = s.replaceAll('_', '')
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?[0-9]+)$/.exec(plain)
  if (hex) {
    const [, sign, whole, fraction, exponent] = hex
    if (!whole && !fraction) return undefined
    const mantissa = Number(BigInt(`0x${whole || '0'}${fraction}`))
    const value = mantissa * 2 ** (Number(exponent) - 4 * fraction!.length)
    return sign === '-' ? -value : value
  }
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(plain)) return undefined
  const value = Number(plain)
  return Number.isFinite(value) ? value : undefined
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' }

/**
 * strconv.Unquote of a template literal ("...", `...` or '...'), as a Go string (bytes): `\x` escapes give raw bytes,
 * everything else its UTF-8. Undefined when the literal is malformed.
 */
export function unquote(quoted: string): string | undefined {
  const quote = quoted[0]
  if (quoted.length < 2 || quoted[quoted.length - 1] !== quote) return undefined
  const body = quoted.slice(1, -1)
  if (quote === '`') return body.includes('`') ? undefined : goString(body.replaceAll('\r', ''))
  if (quote !== '"' && quote !== "'") return undefined
  let out = ''
  let count = 0
  for (let i = 0; i < body.length; count++) {
    const c = body[i]!
    if (c === quote || c === '\n') return undefined
    if (c !== '\\') {
      const char = String.fromCodePoint(body.codePointAt(i)!)
      out += goString(char)
      i += char.length
      continue
    }
    const escape = body[i + 1]
    if (escape === undefined) return undefined
    if (escape in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[escape]
      i += 2
    } else if (escape === quote) {
      out += quote
      i += 2
    } else if (escape === 'x' || escape === 'u' || escape === 'U') {
      const length = { x: 2, u: 4, U: 8 }[escape]
      const hex = body.slice(i + 2, i + 2 + length)
      if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) return undefined
      const code = Number.parseInt(hex, 16)
      if (escape === 'x') out += String.fromCharCode(code)
      else if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) return undefined
      else out += goString(String.fromCodePoint(code))
      i += 2 + length
    } else if (/[0-7]/.test(escape)) {
      const octal = body.slice(i + 1, i + 4)
      if (!/^[0-7]{3}$/.test(octal) || Number.parseInt(octal, 8) > 255) return undefined
      out += String.fromCharCode(Number.parseInt(octal, 8))
      i += 4
    } else {
      return undefined
    }
  }
  if (quote === "'" && count !== 1) return undefined
  return out
}

/** The value of a character constant such as 'a' or '\n'. */
export function charValue(quoted: string): number | undefined {
  const bytes = unquote(quoted)
  if (bytes === undefined) return undefined
  // a \x escape is a byte; anything else decodes as one UTF-8 character
  if (bytes.length === 1) return bytes.charCodeAt(0)
  return Buffer.from(bytes, 'latin1').toString('utf8').codePointAt(0)
}
