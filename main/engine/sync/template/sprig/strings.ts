// Sprig's string functions. Byte-oriented ones (trunc, substr, wrap, abbrev, nospace, initials) count bytes as Go
// does; character-oriented ones (upper, title, trim) work on runes.
import { randomInt } from 'node:crypto'
import { FuncError } from '../errors.ts'
import { formatValue, goQuote } from '../print.ts'
import { fixed, variadic, type GoFunction } from '../signature.ts'
import { decodeRune, encodeRune, isAscii, isList, isNil, JsonNumber, runesOf, type Value } from '../values.ts'
import { isDigit, isLetter, isLower, isSpace, isTitle, isUpper, toLower, toTitle, toUpper } from './text.ts'

const fromRunes = (runes: number[]): string => runes.map(encodeRune).join('')
const mapRunes = (s: string, map: (r: number) => number): string => (isAscii(s) ? [...s].map((c) => String.fromCharCode(map(c.charCodeAt(0)))).join('') : fromRunes(runesOf(s).map(map)))

/** sprig's strval: strings as they are, json.Number by its String(), anything else as %v. */
export function strval(v: Value): string {
  if (typeof v === 'string') return v
  if (v instanceof JsonNumber) return v.text
  return formatValue(v)
}

/** sprig's strslice: a list's non-nil items as strings; nil is empty; anything else a one-item list. */
export function strslice(v: Value): string[] {
  if (isList(v)) return v.filter((item) => !isNil(item)).map(strval)
  return isNil(v) ? [] : [strval(v)]
}

/** Byte offsets where each rune starts, and the end. */
function runeBoundaries(s: string): number[] {
  const bounds = [0]
  for (let i = 0; i < s.length; ) {
    i += decodeRune(s, i)[1]
    bounds.push(i)
  }
  return bounds
}

/** strings.Split / SplitN: an empty separator splits into runes; n < 0 is no limit, n == 0 is no parts. */
function splitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return []
  let parts: string[]
  if (sep === '') {
    const bounds = runeBoundaries(s)
    parts = bounds.slice(1).map((end, i) => s.slice(bounds[i], end))
  } else {
    parts = s.split(sep)
  }
  if (n < 0 || parts.length <= n) return parts
  return [...parts.slice(0, n - 1), sep === '' ? parts.slice(n - 1).join('') : parts.slice(n - 1).join(sep)]
}

const indexed = (parts: string[]) => new Map<string, Value>(parts.map((part, i) => [`_${i}`, part]))

/** `s` without the runes that `drop` accepts at either end. */
function trimRunes(s: string, drop: (r: number) => boolean): string {
  const bounds = runeBoundaries(s)
  let first = 0
  let last = bounds.length - 1
  while (first < last && drop(decodeRune(s, bounds[first]!)[0])) first++
  while (last > first && drop(decodeRune(s, bounds[last - 1]!)[0])) last--
  return s.slice(bounds[first], bounds[last])
}

/** strings.TrimSpace: Unicode white space at both ends. */
const trimSpace = (s: string) => trimRunes(s, isSpace)

/** strings.Trim: the runes of `cutset` cut from both ends. */
function trimCutset(s: string, cutset: string): string {
  const cut = new Set(runesOf(cutset))
  return trimRunes(s, (r) => cut.has(r))
}

/** strings.Replace with no limit; an empty `old` matches before each rune and at the end. */
function replaceAll(s: string, old: string, replacement: string): string {
  if (old !== '') return s.split(old).join(replacement)
  const bounds = runeBoundaries(s)
  return replacement + bounds.slice(1).map((end, i) => s.slice(bounds[i], end) + replacement).join('')
}

/** strings.Title's separators: not ASCII letters, digits or `_`; beyond ASCII, only spaces. */
function isSeparator(r: number): boolean {
  if (r < 0x80) return !/[A-Za-z0-9_]/.test(String.fromCharCode(r))
  return !isLetter(r) && !isDigit(r) && isSpace(r)
}

/** strings.Title: each rune after a separator in title case. */
function title(s: string): string {
  let previous = 0x20
  return fromRunes(
    runesOf(s).map((r) => {
      const mapped = isSeparator(previous) ? toTitle(r) : r
      previous = r
      return mapped
    }),
  )
}

/** goutils.Uncapitalize: the first rune of each space-separated word lower-cased. */
function untitle(s: string): string {
  let next = true
  return fromRunes(
    runesOf(s).map((r) => {
      if (isSpace(r)) {
        next = true
        return r
      }
      const mapped = next ? toLower(r) : r
      next = false
      return mapped
    }),
  )
}

/** goutils.AbbreviateFull, on bytes. */
function abbreviateFull(s: string, offset: number, maxWidth: number): string {
  if (s === '') return ''
  if (maxWidth < 4) return ''
  if (s.length <= maxWidth) return s
  offset = Math.min(offset, s.length)
  if (s.length - offset < maxWidth - 3) offset = s.length - (maxWidth - 3)
  if (offset <= 4) return s.slice(0, maxWidth - 3) + '...'
  if (maxWidth < 7) return ''
  if (offset + maxWidth - 3 < s.length) return '...' + abbreviateFull(s.slice(offset), 0, maxWidth - 3)
  return '...' + s.slice(s.length - (maxWidth - 3))
}

/** goutils.WrapCustom, on bytes: break at the last space within the width; long words stay whole unless wrapLong. */
function wrap(s: string, width: number, newline: string, wrapLong: boolean): string {
  if (s === '') return ''
  if (newline === '') newline = '\n'
  width = Math.max(width, 1)
  let out = ''
  let offset = 0
  while (s.length - offset > width) {
    if (s[offset] === ' ') {
      offset++
      continue
    }
    const space = s.slice(offset, width + offset + 1).lastIndexOf(' ')
    if (space >= 0) {
      out += s.slice(offset, offset + space) + newline
      offset += space + 1
    } else if (wrapLong) {
      out += s.slice(offset, offset + width) + newline
      offset += width
    } else {
      const next = s.indexOf(' ', width + offset)
      if (next < 0) {
        out += s.slice(offset)
        offset = s.length
      } else {
        out += s.slice(offset, next) + newline
        offset = next + 1
      }
    }
  }
  return out + s.slice(offset)
}

/** Go writes each byte of these as if it were a rune: non-ASCII bytes come out re-encoded, as sprig does. */
const byteAsRune = (b: string) => encodeRune(b.charCodeAt(0))
const byteIsSpace = (b: string) => isSpace(b.charCodeAt(0))

function nospace(s: string): string {
  const kept = [...s].filter((b) => !byteIsSpace(b))
  return kept.length === s.length ? s : kept.map(byteAsRune).join('')
}

function initials(s: string): string {
  let out = ''
  let gap = true
  for (const b of s) {
    if (byteIsSpace(b)) gap = true
    else if (gap) {
      out += byteAsRune(b)
      gap = false
    }
  }
  return out
}

/** goutils.SwapCase: upper and title case to lower, lower to upper, or to title case right after a space. */
function swapcase(s: string): string {
  let afterSpace = true
  return fromRunes(
    runesOf(s).map((r) => {
      if (isUpper(r) || isTitle(r)) {
        afterSpace = false
        return toLower(r)
      }
      if (isLower(r)) {
        const mapped = afterSpace ? toTitle(r) : toUpper(r)
        afterSpace = false
        return mapped
      }
      afterSpace = isSpace(r)
      return r
    }),
  )
}

function substr(start: number, end: number, s: string): string {
  const bad = () => new FuncError('slice bounds out of range')
  if (start < 0) {
    if (end < 0 || end > s.length) throw bad()
    return s.slice(0, end)
  }
  if (end < 0 || end > s.length) {
    if (start > s.length) throw bad()
    return s.slice(start)
  }
  if (start > end) throw bad()
  return s.slice(start, end)
}

function trunc(c: number, s: string): string {
  if (c < 0 && s.length + c > 0) return s.slice(s.length + c)
  if (c >= 0 && s.length > c) return s.slice(0, c)
  return s
}

function repeat(count: number, s: string): string {
  if (count < 0) throw new FuncError('strings: negative Repeat count')
  return s.repeat(count)
}

/** xstrings.Shuffle: the runes in random order. */
function shuffle(s: string): string {
  const runes = runesOf(s)
  for (let i = runes.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    ;[runes[i], runes[j]] = [runes[j]!, runes[i]!]
  }
  return fromRunes(runes)
}

const indent = (spaces: number, s: string) => {
  const pad = repeat(spaces, ' ')
  return pad + s.replaceAll('\n', '\n' + pad)
}

export const STRING_FUNCTIONS: Record<string, GoFunction> = {
  abbrev: fixed(['int', 'string'], (width, s) => (width < 4 ? s : abbreviateFull(s, 0, width))),
  abbrevboth: fixed(['int', 'int', 'string'], (left, right, s) => (right < 4 || (left > 0 && right < 7) ? s : abbreviateFull(s, left, right))),
  trunc: fixed(['int', 'string'], trunc),
  trim: fixed(['string'], trimSpace),
  upper: fixed(['string'], (s) => mapRunes(s, toUpper)),
  lower: fixed(['string'], (s) => mapRunes(s, toLower)),
  title: fixed(['string'], title),
  untitle: fixed(['string'], untitle),
  substr: fixed(['int', 'int', 'string'], substr),
  repeat: fixed(['int', 'string'], repeat),
  trimall: fixed(['string', 'string'], (cutset, s) => trimCutset(s, cutset)),
  trimAll: fixed(['string', 'string'], (cutset, s) => trimCutset(s, cutset)),
  trimSuffix: fixed(['string', 'string'], (suffix, s) => (suffix && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s)),
  trimPrefix: fixed(['string', 'string'], (prefix, s) => (s.startsWith(prefix) ? s.slice(prefix.length) : s)),
  nospace: fixed(['string'], nospace),
  initials: fixed(['string'], initials),
  swapcase: fixed(['string'], swapcase),
  shuffle: fixed(['string'], shuffle),
  wrap: fixed(['int', 'string'], (width, s) => wrap(s, width, '', false)),
  wrapWith: fixed(['int', 'string', 'string'], (width, separator, s) => wrap(s, width, separator, true)),
  contains: fixed(['string', 'string'], (sub, s) => s.includes(sub)),
  hasPrefix: fixed(['string', 'string'], (prefix, s) => s.startsWith(prefix)),
  hasSuffix: fixed(['string', 'string'], (suffix, s) => s.endsWith(suffix)),
  quote: variadic([], 'any', (...values) => values.filter((v) => !isNil(v)).map((v) => goQuote(strval(v))).join(' ')),
  squote: variadic([], 'any', (...values) => values.filter((v) => !isNil(v)).map((v) => `'${formatValue(v)}'`).join(' ')),
  cat: variadic([], 'any', (...values) => values.filter((v) => !isNil(v)).map(formatValue).join(' ')),
  indent: fixed(['int', 'string'], indent),
  nindent: fixed(['int', 'string'], (spaces, s) => '\n' + indent(spaces, s)),
  replace: fixed(['string', 'string', 'string'], (old, replacement, s) => replaceAll(s, old, replacement)),
  plural: fixed(['string', 'string', 'int'], (one, many, count) => (count === 1 ? one : many)),
  toString: fixed(['any'], strval),
  toStrings: fixed(['any'], strslice),
  split: fixed(['string', 'string'], (sep, s) => indexed(splitN(s, sep, -1))),
  splitList: fixed(['string', 'string'], (sep, s) => splitN(s, sep, -1)),
  splitn: fixed(['string', 'int', 'string'], (sep, n, s) => indexed(splitN(s, sep, n))),
  join: fixed(['string', 'any'], (sep, v) => strslice(v).join(sep)),
}
