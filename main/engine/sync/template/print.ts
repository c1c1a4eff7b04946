// Go's fmt for template values: how `{{ . }}`, print, printf and sprig's string conversions render maps
// (`map[a:1 b:2]`), lists, nil (`<nil>`), floats (`1e+06`) and quoted strings. Inputs and outputs are Go strings.
import { decodeRune, encodeRune, GoStruct, isList, isMap, isNil, isStringKind, runesOf, sortedKeys, stringOf, typeName, type Value } from './values.ts'

// ---- floats, as strconv.FormatFloat ----

/** A decimal: 0.digits × 10^dp, no trailing zeros. */
interface Decimal {
  digits: string
  dp: number
}

/** The shortest digits that read back as x (x finite, not negative). */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 }
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string]
  return { digits: mantissa.replace('.', '').replace(/0+$/, ''), dp: Number(exponent) + 1 }
}

/** Every digit of x (finite, not negative): a double is m·2^e, so m·5^-e is its exact decimal. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 }
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const bits = view.getBigUint64(0)
  const biased = Number((bits >> 52n) & 0x7ffn)
  const fraction = bits & ((1n << 52n) - 1n)
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n)
  const exponent = (biased === 0 ? 1 : biased) - 1075
  const digits = exponent >= 0 ? (mantissa << BigInt(exponent)).toString() : (mantissa * 5n ** BigInt(-exponent)).toString()
  const dp = digits.length + Math.min(exponent, 0)
  return { digits: digits.replace(/0+$/, ''), dp }
}

/** Keeps `n` digits, rounding half to even as strconv does; n < 0 leaves the digits alone, as Go does. */
function roundDecimal(d: Decimal, n: number): Decimal {
  if (n < 0 || n >= d.digits.length) return d
  const next = d.digits[n]!
  const halfway = next === '5' && n + 1 === d.digits.length
  const up = next > '5' || (next === '5' && !halfway) || (halfway && n > 0 && Number(d.digits[n - 1]) % 2 === 1)
  if (!up) return { digits: d.digits.slice(0, n).replace(/0+$/, ''), dp: d.dp }
  let i = n - 1
  while (i >= 0 && d.digits[i] === '9') i--
  if (i < 0) return { digits: '1', dp: d.dp + 1 }
  return { digits: d.digits.slice(0, i) + String(Number(d.digits[i]) + 1), dp: d.dp }
}

function formatE(d: Decimal, prec: number, e: 'e' | 'E'): string {
  let out = d.digits[0] ?? '0'
  if (prec > 0) out += '.' + d.digits.slice(1, prec + 1).padEnd(prec, '0')
  const exp = d.digits.length === 0 ? 0 : d.dp - 1
  return `${out}${e}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
}

function formatF(d: Decimal, prec: number): string {
  let out = d.dp > 0 ? d.digits.slice(0, d.dp).padEnd(d.dp, '0') : '0'
  if (prec > 0) {
    out += '.'
    for (let i = 0; i < prec; i++) {
      const j = d.dp + i
      out += j >= 0 && j < d.digits.length ? d.digits[j] : '0'
    }
  }
  return out
}

/** strconv's %x for floats: -0x1.8p+01, the mantissa in hex with a leading 1 and a binary exponent. */
function formatHexFloat(x: number, prec: number, upper: boolean): string {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, Math.abs(x))
  const bits = view.getBigUint64(0)
  const biased = Number(bits >> 52n)
  let mantissa = bits & ((1n << 52n) - 1n)
  let exp = biased === 0 ? -1022 : biased - 1023
  if (biased !== 0) mantissa |= 1n << 52n
  if (mantissa === 0n) exp = 0
  // leading 1 at bit 60, then the fraction's nibbles below it
  mantissa <<= 8n
  while (mantissa !== 0n && (mantissa & (1n << 60n)) === 0n) {
    mantissa <<= 1n
    exp--
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4)
    const extra = (mantissa << shift) & ((1n << 60n) - 1n)
    mantissa >>= 60n - shift
    if ((extra | (mantissa & 1n)) > 1n << 59n) mantissa++
    mantissa <<= 60n - shift
    if ((mantissa & (1n << 61n)) !== 0n) {
      mantissa >>= 1n
      exp++
    }
  }
  let out = `${x < 0 || Object.is(x, -0) ? '-' : ''}0x${(mantissa >> 60n) & 1n}`
  let fraction = (mantissa << 4n) & ((1n << 64n) - 1n)
  const digits = prec < 0 ? (fraction === 0n ? 0 : 16) : prec
  if (digits > 0) {
    out += '.'
    for (let i = 0; i < digits && (prec >= 0 || fraction !== 0n); i++) {
      out += ((fraction >> 60n) & 15n).toString(16)
      fraction = (fraction << 4n) & ((1n << 64n) - 1n)
    }
  }
  out += `p${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  return upper ? out.toUpperCase() : out
}

/** strconv.FormatFloat(x, fmt, prec, 64); prec -1 is the shortest that reads back. */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G' | 'x' | 'X', prec: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf'
  if (fmt === 'x' || fmt === 'X') return formatHexFloat(x, prec, fmt === 'X')
  const sign = x < 0 || Object.is(x, -0) ? '-' : ''
  const abs = Math.abs(x)
  const shortest = prec < 0
  let d: Decimal
  if (shortest) {
    d = shortestDecimal(abs)
    prec = fmt === 'e' || fmt === 'E' ? Math.max(d.digits.length - 1, 0) : fmt === 'f' ? Math.max(d.digits.length - d.dp, 0) : d.digits.length
  } else {
    const exact = exactDecimal(abs)
    if (fmt === 'e' || fmt === 'E') d = roundDecimal(exact, prec + 1)
    else if (fmt === 'f') d = roundDecimal(exact, exact.dp + prec)
    else {
      if (prec === 0) prec = 1
      d = roundDecimal(exact, prec)
    }
  }
  if (fmt === 'e' || fmt === 'E') return sign + formatE(d, prec, fmt)
  if (fmt === 'f') return sign + formatF(d, prec)
  const eprec = shortest ? 6 : prec > d.digits.length && d.digits.length >= d.dp ? d.digits.length : prec
  const exp = d.dp - 1
  if (exp < -4 || exp >= eprec) return sign + formatE(d, Math.min(prec, d.digits.length) - 1, fmt === 'g' ? 'e' : 'E')
  return sign + formatF(d, Math.max((prec > d.dp ? d.digits.length : prec) - d.dp, 0))
}

// ---- quoting, as strconv.Quote ----

const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u
/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export const isPrint = (rune: number): boolean => rune === 0x20 || PRINTABLE.test(String.fromCodePoint(rune))

const ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' }
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

function escapeRune(rune: number, size: number, byte: number, quote: number, asciiOnly: boolean): string {
  if (size === 1 && rune === 0xfffd) return `\\x${hex(byte, 2)}`
  if (rune === quote || rune === 0x5c) return `\\${String.fromCharCode(rune)}`
  if (asciiOnly ? rune < 0x80 && isPrint(rune) : isPrint(rune)) return encodeRune(rune)
  if (ESCAPES[rune]) return ESCAPES[rune]
  if (rune < 0x20 || rune === 0x7f) return `\\x${hex(rune, 2)}`
  return rune < 0x10000 ? `\\u${hex(rune, 4)}` : `\\U${hex(rune, 8)}`
}

/** strconv.Quote (or QuoteToASCII) of a Go string. */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"'
  for (let i = 0; i < s.length; ) {
    const [rune, size] = decodeRune(s, i)
    out += escapeRune(rune, size, s.charCodeAt(i), 0x22, asciiOnly)
    i += size
  }
  return out + '"'
}

function quoteRune(rune: number, asciiOnly: boolean): string {
  if (rune > 0x10ffff || (rune >= 0xd800 && rune < 0xe000)) rune = 0xfffd
  return `'${escapeRune(rune, 0, 0, 0x27, asciiOnly)}'`
}

function canBackquote(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const [rune, size] = decodeRune(s, i)
    if ((size === 1 && rune === 0xfffd) || rune === 0x60 || rune === 0xfeff || (rune < 0x20 && rune !== 9) || rune === 0x7f) return false
    i += size
  }
  return true
}

// ---- fmt ----

interface Spec {
  plus: boolean
  minus: boolean
  sharp: boolean
  space: boolean
  zero: boolean
  width?: number
  prec?: number
}
const PLAIN: Spec = { plus: false, minus: false, sharp: false, space: false, zero: false }

function pad(s: string, spec: Spec, zeroAllowed = false): string {
  const missing = (spec.width ?? 0) - runesOf(s).length
  if (missing <= 0) return s
  if (spec.minus) return s + ' '.repeat(missing)
  return (spec.zero && zeroAllowed ? '0' : ' ').repeat(missing) + s
}

function formatInteger(n: bigint, verb: string, spec: Spec): string {
  const negative = n < 0n
  const magnitude = negative ? -n : n
  const base = verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : verb === 'x' || verb === 'X' ? 16 : 10
  let digits = magnitude.toString(base)
  if (verb === 'X') digits = digits.toUpperCase()
  let minDigits = 0
  if (spec.prec !== undefined) {
    if (spec.prec === 0 && magnitude === 0n) return pad('', { ...spec, zero: false })
    minDigits = spec.prec
  } else if (spec.zero && !spec.minus && spec.width !== undefined) {
    minDigits = spec.width - (negative || spec.plus || spec.space ? 1 : 0)
  }
  digits = digits.padStart(minDigits, '0')
  if (spec.sharp) {
    if (verb === 'b') digits = '0b' + digits
    else if (verb === 'o' && digits[0] !== '0') digits = '0' + digits
    else if (verb === 'x') digits = '0x' + digits
    else if (verb === 'X') digits = '0X' + digits
  }
  if (verb === 'O') digits = '0o' + digits
  const sign = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : ''
  return pad(sign + digits, { ...spec, zero: false })
}

function formatFloatVerb(x: number, verb: string, spec: Spec): string {
  const fmt = verb === 'v' ? 'g' : verb === 'F' ? 'f' : (verb as 'e' | 'E' | 'f' | 'g' | 'G' | 'x' | 'X')
  let num = formatFloat(x, fmt, spec.prec ?? ('vgGxX'.includes(verb) ? -1 : 6))
  if (num[0] !== '-' && num[0] !== '+') num = '+' + num
  if (spec.space && num[0] === '+' && !spec.plus) num = ' ' + num.slice(1)
  if (num.endsWith('Inf') || num.endsWith('NaN')) {
    if (num.endsWith('NaN') && !spec.space && !spec.plus) num = num.slice(1)
    return pad(num, { ...spec, zero: false })
  }
  if (spec.plus || num[0] !== '+') {
    if (spec.zero && !spec.minus && spec.width !== undefined && spec.width > num.length) return num[0] + '0'.repeat(spec.width - num.length) + num.slice(1)
    return pad(num, spec)
  }
  return pad(num.slice(1), spec, true)
}

function formatString(s: string, verb: string, spec: Spec): string {
  if (spec.prec !== undefined && (verb === 's' || verb === 'v' || verb === 'q')) {
    let end = 0
    for (let count = 0; count < spec.prec && end < s.length; count++) end += decodeRune(s, end)[1]
    s = s.slice(0, end)
  }
  if (verb === 'q') return pad(spec.sharp && canBackquote(s) ? '`' + s + '`' : goQuote(s, spec.plus), spec, true)
  if (verb === 'x' || verb === 'X') {
    const length = spec.prec === undefined ? s.length : Math.min(spec.prec, s.length)
    const bytes = [...s.slice(0, length)].map((c) => (verb === 'x' ? hex(c.charCodeAt(0), 2) : hex(c.charCodeAt(0), 2).toUpperCase()))
    const prefix = spec.sharp ? `0${verb}` : ''
    return pad(spec.space ? bytes.map((b) => prefix + b).join(' ') : prefix + bytes.join(''), spec, true)
  }
  return pad(s, spec, true)
}

const VERBS = {
  bool: 'tv',
  int: 'vdbcoOqxXU',
  float: 'veEfFgGxX',
  string: 'vsqxX',
}

function badVerb(verb: string, v: Value): string {
  return isNil(v) ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(v)}=${formatValue(v)})`
}

/** `%#v`: Go syntax, as far as template values go. */
function goSyntax(v: Value, depth: number): string {
  if (isNil(v)) return depth > 0 ? 'interface {}(nil)' : '<nil>'
  if (isStringKind(v)) return goQuote(stringOf(v))
  if (isList(v)) return `[]interface {}{${v.map((item) => goSyntax(item, depth + 1)).join(', ')}}`
  if (isMap(v)) return `map[string]interface {}{${sortedKeys(v).map((key) => `${goQuote(key)}:${goSyntax(v.get(key), depth + 1)}`).join(', ')}}`
  return formatValue(v)
}

function formatArg(v: Value, verb: string, spec: Spec, depth: number): string {
  if (verb === 'T') return pad(typeName(v), spec)
  if (verb === 'v' && spec.sharp) return goSyntax(v, depth)
  if (isNil(v)) return depth > 0 || verb === 'v' ? pad('<nil>', spec) : badVerb(verb, v)
  if (typeof v === 'boolean') return VERBS.bool.includes(verb) ? pad(String(v), spec) : badVerb(verb, v)
  if (typeof v === 'bigint') {
    if (!VERBS.int.includes(verb)) return badVerb(verb, v)
    if (verb === 'c') return pad(encodeRune(Number(v)), spec)
    if (verb === 'q') return pad(quoteRune(Number(v), spec.plus), spec)
    if (verb === 'U') {
      const code = `U+${v.toString(16).toUpperCase().padStart(4, '0')}`
      return pad(spec.sharp && isPrint(Number(v)) ? `${code} '${encodeRune(Number(v))}'` : code, spec)
    }
    return formatInteger(v, verb === 'v' ? 'd' : verb, spec)
  }
  if (typeof v === 'number') return VERBS.float.includes(verb) ? formatFloatVerb(v, verb, spec) : badVerb(verb, v)
  if (isStringKind(v)) return VERBS.string.includes(verb) ? formatString(stringOf(v), verb, spec) : badVerb(verb, v)
  if (v instanceof GoStruct) {
    const fields = [...v.fields.values()].map((field) => formatArg(field.value, verb, spec, depth + 1)).join(' ')
    return `&{${fields}}`
  }
  if (isMap(v)) return `map[${sortedKeys(v).map((key) => `${formatArg(key, verb, spec, depth + 1)}:${formatArg(v.get(key), verb, spec, depth + 1)}`).join(' ')}]`
  if (isList(v)) return `[${v.map((item) => formatArg(item, verb, spec, depth + 1)).join(' ')}]`
  return badVerb(verb, v)
}

/** `%v`. */
export function formatValue(v: Value): string {
  return formatArg(v, 'v', PLAIN, 0)
}

/** fmt.Sprint: a space between operands when neither side is a string. */
export function sprint(args: Value[]): string {
  return args.map((arg, i) => (i > 0 && !isStringKind(arg) && !isStringKind(args[i - 1]) ? ' ' : '') + formatValue(arg)).join('')
}

export function sprintln(args: Value[]): string {
  return args.map(formatValue).join(' ') + '\n'
}

/** fmt.Sprintf with Go's verbs, flags, width and precision, and its `%!verb(...)` notes for mismatches. */
export function sprintf(format: string, args: Value[]): string {
  let out = ''
  let argIndex = 0
  const intArg = (): number | undefined => {
    const arg = args[argIndex++]
    return typeof arg === 'bigint' ? Number(arg) : undefined
  }
  let i = 0
  while (i < format.length) {
    const percent = format.indexOf('%', i)
    if (percent < 0) {
      out += format.slice(i)
      break
    }
    out += format.slice(i, percent)
    i = percent + 1
    const spec: Spec = { ...PLAIN }
    for (; i < format.length; i++) {
      const c = format[i]
      if (c === '+') spec.plus = true
      else if (c === '-') spec.minus = true
      else if (c === '#') spec.sharp = true
      else if (c === ' ') spec.space = true
      else if (c === '0') spec.zero = true
      else break
    }
    if (format[i] === '*') {
      i++
      const width = intArg()
      if (width === undefined) out += '%!(BADWIDTH)'
      else {
        spec.width = Math.abs(width)
        if (width < 0) spec.minus = true
      }
    } else {
      const digits = /^[0-9]+/.exec(format.slice(i))?.[0]
      if (digits) {
        spec.width = Number(digits)
        i += digits.length
      }
    }
    if (format[i] === '.') {
      i++
      if (format[i] === '*') {
        i++
        const prec = intArg()
        if (prec === undefined || prec < 0) out += '%!(BADPREC)'
        else spec.prec = prec
      } else {
        const digits = /^[0-9]*/.exec(format.slice(i))![0]
        spec.prec = Number(digits || '0')
        i += digits.length
      }
    }
    if (i >= format.length) {
      out += '%!(NOVERB)'
      break
    }
    const [rune, size] = decodeRune(format, i)
    const verb = String.fromCodePoint(rune)
    i += size
    if (verb === '%') {
      out += '%'
      continue
    }
    if (argIndex >= args.length) {
      out += `%!${encodeRune(rune)}(MISSING)`
      continue
    }
    out += formatArg(args[argIndex++], verb, spec, 0)
  }
  if (argIndex < args.length) {
    const extra = args.slice(argIndex).map((arg) => (isNil(arg) ? '<nil>' : `${typeName(arg)}=${formatValue(arg)}`))
    out += `%!(EXTRA ${extra.join(', ')})`
  }
  return out
}

/** What `{{ pipeline }}` writes: like %v, but nil is `<no value>` and the input struct prints without `&`. */
export function printAction(v: Value): string {
  if (isNil(v)) return '<no value>'
  if (v instanceof GoStruct) return formatValue(v).slice(1)
  return formatValue(v)
}
