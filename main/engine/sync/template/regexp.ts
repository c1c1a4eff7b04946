// Go regular expressions (RE2 syntax) on JS's engine: the pattern is translated where the syntaxes differ (`.`
// matches \r, `\s` is ASCII, `\z`, `(?P<name>`, POSIX classes, literal `{`), what RE2 rejects (lookaround,
// backreferences) is rejected, and FindAll, ReplaceAll and Split follow Go's rules for empty matches.
// Patterns and subjects are Go strings; errors never quote the pattern, which might come from the data.
import { goString, textOf } from './values.ts'

export class RegexpError extends Error {
  constructor(reason: string) {
    super(`error parsing regexp: ${reason}`)
  }
}

const WHITESPACE = '\\t\\n\\f\\r '
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: WHITESPACE + '\\v',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
}
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/')

/** Translates an RE2 pattern (as text) to a JS pattern and flags. */
function translate(pattern: string): { source: string; flags: string } {
  let flags = 'u'
  let i = 0
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(pattern)
  if (leading) {
    for (const flag of leading[1]!) {
      if (!'ims'.includes(flag)) throw new RegexpError(`flag ${flag} is not supported by Vault Tray`)
      if (!flags.includes(flag)) flags += flag
    }
    i = leading[0].length
  }
  const dotAll = flags.includes('s')
  let out = ''
  let inClass = false
  let classStart = 0
  while (i < pattern.length) {
    const c = pattern[i]!
    if (c === '\\') {
      const [translated, length] = translateEscape(pattern, i, inClass)
      out += translated
      i += length
      continue
    }
    if (inClass) {
      if (c === ']' && i > classStart) {
        inClass = false
        out += ']'
        i++
        continue
      }
      if (c === '[' && pattern.startsWith('[:', i)) {
        const close = pattern.indexOf(':]', i + 2)
        const name = close < 0 ? '' : pattern.slice(i + 2, close)
        const negated = name.startsWith('^')
        const range = POSIX[negated ? name.slice(1) : name]
        if (!range) throw new RegexpError('invalid character class range')
        if (negated) throw new RegexpError('negated POSIX classes are not supported by Vault Tray')
        out += range
        i = close + 2
        continue
      }
      out += c === ']' || c === '[' ? `\\${c}` : c
      i++
      continue
    }
    switch (c) {
      case '[':
        inClass = true
        out += '['
        i++
        if (pattern[i] === '^') {
          out += '^'
          i++
        }
        classStart = i
        continue
      case '.':
        out += dotAll ? '[\\s\\S]' : '[^\\n]'
        break
      case '(':
        if (pattern[i + 1] === '?') {
          const group = /^\(\?(P?<([A-Za-z0-9_]+)>|:)/.exec(pattern.slice(i))
          if (!group) throw new RegexpError(/^\(\?(=|!|<=|<!)/.test(pattern.slice(i)) ? 'invalid or unsupported Perl syntax' : 'flags inside a pattern are not supported by Vault Tray; put them at the start, as (?i)')
          out += group[1] === ':' ? '(?:' : `(?<${group[2]}>`
          i += group[0].length
          continue
        }
        out += c
        break
      case '{': {
        const repeat = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i))
        if (!repeat) {
          out += '\\{'
          break
        }
        if (Number(repeat[1]) > 1000 || Number(repeat[3] || 0) > 1000) throw new RegexpError('invalid repeat count')
        out += repeat[0]
        i += repeat[0].length
        continue
      }
      case '}':
      case ']':
        out += `\\${c}`
        break
      default:
        out += c
    }
    i++
  }
  if (inClass) throw new RegexpError('missing closing ]')
  return { source: out, flags }
}

/** One escape at pattern[i] (a backslash): the JS text and how many characters it took. */
function translateEscape(pattern: string, i: number, inClass: boolean): [string, number] {
  const c = pattern[i + 1]
  if (c === undefined) throw new RegexpError('trailing backslash at end of expression')
  switch (c) {
    case 'A':
    case 'z':
      if (inClass) throw new RegexpError('invalid escape sequence')
      return [c === 'A' ? '(?<![\\s\\S])' : '(?![\\s\\S])', 2]
    case 's':
      return [inClass ? WHITESPACE : `[${WHITESPACE}]`, 2]
    case 'S':
      return [inClass ? '\\S' : `[^${WHITESPACE}]`, 2]
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
      return [`\\${c}`, 2]
    case 'b':
    case 'B':
      if (inClass) throw new RegexpError('invalid escape sequence')
      return [`\\${c}`, 2]
    case 'a':
      return ['\\x07', 2]
    case 'x': {
      const braced = /^\\x\{([0-9a-fA-F]+)\}/.exec(pattern.slice(i))
      if (braced) return [`\\u{${braced[1]}}`, braced[0].length]
      if (!/^\\x[0-9a-fA-F]{2}/.test(pattern.slice(i))) throw new RegexpError('invalid escape sequence')
      return [pattern.slice(i, i + 4), 4]
    }
    case 'p':
    case 'P': {
      const match = /^\\[pP](\{\^?([A-Za-z_]+)\}|([A-Za-z]))/.exec(pattern.slice(i))
      if (!match) throw new RegexpError('invalid character class range')
      const name = match[2] ?? match[3]!
      const negated = (c === 'P') !== match[1]!.startsWith('{^')
      if (name === 'Any') return [negated ? '[^\\s\\S]' : '[\\s\\S]', match[0].length]
      const property = /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`
      return [`\\${negated ? 'P' : 'p'}{${property}}`, match[0].length]
    }
    case 'Q': {
      const end = pattern.indexOf('\\E', i + 2)
      const literal = pattern.slice(i + 2, end < 0 ? undefined : end)
      const escaped = [...literal].map((ch) => (JS_SYNTAX.has(ch) || ch === '-' ? `\\${ch}` : ch)).join('')
      return [escaped, (end < 0 ? pattern.length : end + 2) - i]
    }
  }
  if (/[0-7]/.test(c)) {
    const octal = /^\\([0-7]{1,3})/.exec(pattern.slice(i))![1]!
    // a lone \1..\7 is a backreference, which RE2 does not have
    if (octal.length === 1 && c !== '0') throw new RegexpError('invalid escape sequence')
    return [`\\u{${Number.parseInt(octal, 8).toString(16)}}`, octal.length + 1]
  }
  if (/[\p{L}\p{N}_]/u.test(c)) throw new RegexpError('invalid escape sequence')
  const char = String.fromCodePoint(pattern.codePointAt(i + 1)!)
  // any other punctuation stands for itself
  if (JS_SYNTAX.has(char) || (inClass && char === '-')) return [`\\${char}`, 2]
  return [char, 1 + char.length]
}

/** Where a match of Go's starts and ends in the subject text, and its groups. */
interface Match {
  start: number
  end: number
  groups: (string | undefined)[]
  named: Record<string, string | undefined>
}

export class GoRegexp {
  private readonly re: RegExp
  private readonly emptyPattern: boolean

  /** Throws RegexpError for what Go's regexp.Compile rejects, or what cannot be run here. */
  constructor(pattern: string) {
    const { source, flags } = translate(textOf(pattern))
    try {
      this.re = new RegExp(source, flags + 'g')
    } catch (error) {
      // JS's message quotes the pattern: keep only the reason after it
      throw new RegexpError(String((error as Error).message).split(': ').pop() ?? 'invalid pattern')
    }
    this.emptyPattern = pattern === ''
  }

  private exec(text: string, from: number): Match | undefined {
    this.re.lastIndex = from
    const m = this.re.exec(text)
    if (!m) return undefined
    return { start: m.index, end: m.index + m[0].length, groups: [...m], named: m.groups ?? {} }
  }

  /** Go's allMatches: an empty match right after the previous match is skipped. */
  private *matches(text: string, n: number): Generator<Match> {
    let count = 0
    let previousEnd = -1
    for (let pos = 0; (n < 0 || count < n) && pos <= text.length; ) {
      const match = this.exec(text, pos)
      if (!match) return
      const accept = !(match.end === match.start && match.start === previousEnd)
      if (match.end === pos) pos += pos < text.length ? String.fromCodePoint(text.codePointAt(pos)!).length : 1
      else pos = match.end
      previousEnd = match.end
      if (accept) {
        count++
        yield match
      }
    }
  }

  matchString(s: string): boolean {
    return this.exec(textOf(s), 0) !== undefined
  }

  findString(s: string): string {
    const text = textOf(s)
    const match = this.exec(text, 0)
    return match ? goString(text.slice(match.start, match.end)) : ''
  }

  /** Undefined where Go returns a nil slice (no match, or n == 0). */
  findAllString(s: string, n: number): string[] | undefined {
    const text = textOf(s)
    const found = [...this.matches(text, n)].map((m) => goString(text.slice(m.start, m.end)))
    return found.length ? found : undefined
  }

  /** ReplaceAllString (`$1`, `${name}` expanded) or ReplaceAllLiteralString. */
  replaceAllString(s: string, replacement: string, literal: boolean): string {
    const text = textOf(s)
    const repl = textOf(replacement)
    let out = ''
    let lastEnd = 0
    let searchPos = 0
    while (searchPos <= text.length) {
      const match = this.exec(text, searchPos)
      if (!match) break
      out += text.slice(lastEnd, match.start)
      // no replacement for an empty match right after a previous one
      if (match.end > lastEnd || match.start === 0) out += literal ? repl : expand(repl, match)
      lastEnd = match.end
      const width = searchPos < text.length ? String.fromCodePoint(text.codePointAt(searchPos)!).length : 1
      searchPos = searchPos + width > match.end ? searchPos + width : searchPos + 1 > match.end ? searchPos + 1 : match.end
    }
    return goString(out + text.slice(lastEnd))
  }

  /** Split with Go's rules; undefined where Go returns nil (n == 0). */
  split(s: string, n: number): string[] | undefined {
    if (n === 0) return undefined
    const text = textOf(s)
    if (!this.emptyPattern && text === '') return ['']
    const parts: string[] = []
    let begin = 0
    let end = 0
    for (const match of this.matches(text, n)) {
      if (n > 0 && parts.length === n - 1) break
      end = match.start
      if (match.end !== 0) parts.push(text.slice(begin, end))
      begin = match.end
    }
    if (end !== text.length) parts.push(text.slice(begin))
    return parts.map(goString)
  }
}

/** regexp.Expand: `$1`, `$name`, `${name}`, `$$`; a name runs as far as letters, digits and `_` go. */
function expand(template: string, match: Match): string {
  let out = ''
  let rest = template
  for (;;) {
    const dollar = rest.indexOf('$')
    if (dollar < 0) break
    out += rest.slice(0, dollar)
    rest = rest.slice(dollar + 1)
    if (rest.startsWith('$')) {
      out += '$'
      rest = rest.slice(1)
      continue
    }
    const ref = /^(\{)?([\p{L}\p{Nd}_]+)(\})?/u.exec(rest)
    if (!ref || (ref[1] && !ref[3])) {
      out += '$'
      continue
    }
    const [whole, brace, name] = ref as unknown as [string, string | undefined, string]
    rest = rest.slice(brace ? whole.length : name.length)
    const number = /^(0|[1-9][0-9]{0,7})$/.test(name) ? Number(name) : -1
    out += (number >= 0 ? match.groups[number] : match.named[name]) ?? ''
  }
  return out + rest
}
