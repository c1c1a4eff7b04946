// camelcase, snakecase and kebabcase, with the word rules of the xstrings library sprig uses: "HTTPStatus" is
// "HTTP" + "Status", a number sticks to the word before it ("Bld4Floor" → "bld4_floor") unless lower-case letters
// follow it ("HTTP2xx" → "http_2xx"). Works on runes.
import { fixed, type GoFunction } from '../signature.ts'
import { encodeRune, runesOf } from '../values.ts'
import { isLetter, isNumber, isPunct, isSpace, isUpper, toLower, toUpper } from './text.ts'

const RUNE_ERROR = 0xfffd
const isConnector = (r: number) => r === 0x2d || r === 0x5f || isSpace(r)
/** A letter that is not CJK (CJK has no case, so it never joins a cased word). */
const isAlphabet = (r: number) => isLetter(r) && !((r >= 0x4e00 && r <= 0x9fcc) || (r >= 0x3400 && r <= 0x4d85) || (r >= 0x20000 && r <= 0x2b81d))

/** camelcase: connectors dropped, the rune after each upper-cased; a leading upper-case run is kept as is. */
function pascalCase(s: string): string {
  const runes = runesOf(s)
  if (runes.length === 0) return ''
  const out: number[] = []
  let i = 0
  let r0 = 0
  let firstUpper = false
  while (i < runes.length) {
    r0 = runes[i++]!
    if (!isConnector(r0)) {
      firstUpper = isUpper(r0)
      r0 = toUpper(r0)
      break
    }
    out.push(r0)
  }
  if (i < runes.length) {
    while (i < runes.length) {
      const r1 = r0
      r0 = runes[i++]!
      if (isConnector(r0) && isConnector(r1)) {
        out.push(r1)
        continue
      }
      if (isConnector(r1)) {
        firstUpper = isUpper(r0)
        r0 = toUpper(r0)
      } else {
        if (firstUpper) {
          if (isUpper(r0)) r0 = toLower(r0)
          else firstUpper = false
        }
        out.push(r1)
      }
    }
  }
  out.push(r0)
  return out.map(encodeRune).join('')
}

type WordType = 'invalid' | 'number' | 'upper' | 'alphabet' | 'connector' | 'punct' | 'other'
interface Word {
  type: WordType
  start: number
  end: number
}

/** The next word of runes[start..]; a U+FFFD is skipped over as invalid input. */
function nextWord(runes: number[], start: number): Word {
  if (start >= runes.length) return { type: 'invalid', start, end: start }
  let pos = start
  /** The next valid rune from pos, moving pos past it; `previous` when none is left. */
  const nextValid = (previous: number): [rune: number, next: number] => {
    let at = pos
    while (at < runes.length) {
      const r = runes[at++]!
      if (r !== RUNE_ERROR) return [r, at]
    }
    return [previous, at]
  }
  let [r, next] = nextValid(RUNE_ERROR)
  if (r === RUNE_ERROR) return { type: 'invalid', start, end: next }
  pos = next
  let end = next
  const extendWhile = (type: WordType, accept: (r: number) => boolean): Word => {
    while (pos < runes.length) {
      ;[r, next] = nextValid(r)
      if (!accept(r)) break
      pos = end = next
    }
    return { type, start, end }
  }
  if (isConnector(r)) return extendWhile('connector', isConnector)
  if (isPunct(r)) return extendWhile('punct', isPunct)
  if (isUpper(r)) {
    if (pos >= runes.length) return { type: 'upper', start, end }
    ;[r, next] = nextValid(r)
    if (isUpper(r)) {
      let lastStart = pos
      pos = end = next
      while (pos < runes.length) {
        ;[r, next] = nextValid(r)
        if (!isUpper(r)) break
        lastStart = pos
        pos = end = next
      }
      // "HTTPStatus": the "S" starts the next word
      if (pos < runes.length && isAlphabet(r)) end = lastStart
      return { type: 'upper', start, end }
    }
    if (isAlphabet(r)) {
      pos = end = next
      return extendWhile('upper', (r) => isAlphabet(r) && !isUpper(r))
    }
    return { type: 'upper', start, end }
  }
  if (isAlphabet(r)) return extendWhile('alphabet', (r) => isAlphabet(r) && !isUpper(r))
  if (isNumber(r)) return extendWhile('number', isNumber)
  return extendWhile('other', (r) => !(isConnector(r) || isAlphabet(r) || isNumber(r) || isPunct(r)))
}

/** snakecase (connector `_`) and kebabcase (`-`). */
function lowerCaseWords(s: string, connector: number): string {
  const runes = runesOf(s)
  if (runes.length === 0) return ''
  const out: number[] = []
  const write = (word: Word, type = word.type) => {
    for (const r of runes.slice(word.start, word.end)) {
      if (type !== 'upper' && type !== 'connector') out.push(r)
      else out.push(isConnector(r) ? connector : isUpper(r) ? toLower(r) : r)
    }
  }
  const separates = (type: WordType) => type !== 'invalid' && type !== 'punct' && type !== 'connector'
  let word = nextWord(runes, 0)
  const after = (w: Word) => nextWord(runes, w.end)
  while (word.end < runes.length) {
    if (word.type !== 'connector') write(word)
    const previous = word
    word = after(word)
    if (previous.type === 'number') {
      while (word.type === 'alphabet' || word.type === 'number') {
        write(word)
        word = after(word)
      }
      if (separates(word.type)) out.push(connector)
    } else if (previous.type === 'connector') {
      write(previous)
    } else if (previous.type !== 'punct') {
      if (word.type !== 'number') {
        if (word.type !== 'connector' && word.type !== 'punct') out.push(connector)
        continue
      }
      if (word.end >= runes.length) continue
      const number = word
      word = after(word)
      // "Bld4Floor": the number belongs to the word before it
      if (word.type !== 'alphabet') {
        write(number, 'number')
        if (word.type !== 'connector' && word.type !== 'punct') out.push(connector)
        continue
      }
      // "HTTP2xx": lower-case letters after the number start a new word with it
      out.push(connector)
      write(number, 'number')
      while (word.type === 'alphabet' || word.type === 'number') {
        write(word)
        word = after(word)
      }
      if (separates(word.type)) out.push(connector)
    }
  }
  write(word)
  return out.map(encodeRune).join('')
}

export const CASE_FUNCTIONS: Record<string, GoFunction> = {
  camelcase: fixed(['string'], pascalCase),
  snakecase: fixed(['string'], (s) => lowerCaseWords(s, 0x5f)),
  kebabcase: fixed(['string'], (s) => lowerCaseWords(s, 0x2d)),
}
