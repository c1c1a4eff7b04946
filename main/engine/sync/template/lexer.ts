// Splits template text into tokens, following Go's text/template lexer: `{{`/`}}` delimiters, `{{- ` and ` -}}`
// trim markers, `{{/* */}}` comments, and Go's literals inside actions.

export type TokenType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'identifier'
  | 'field'
  | 'variable'
  | 'dot'
  | 'bool'
  | 'number'
  | 'char'
  | 'charConstant'
  | 'string'
  | 'rawString'
  | 'pipe'
  | 'assign'
  | 'declare'
  | 'leftParen'
  | 'rightParen'
  | 'eof'
  | Keyword

type Keyword = 'block' | 'break' | 'continue' | 'define' | 'else' | 'end' | 'if' | 'nil' | 'range' | 'template' | 'with'
const KEYWORDS = new Set<string>(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with'])

export interface Token {
  type: TokenType
  /** UTF-16 index in the template text. */
  pos: number
  /** The source text of the token (for text: the text after trimming). */
  val: string
}

/** A syntax error at a position; the parser adds the template name. */
export class SyntaxFailure extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message)
  }
}

const LEFT = '{{'
const RIGHT = '}}'
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n'
const isAlphaNumeric = (c: string | undefined) => c !== undefined && (c === '_' || /^[\p{L}\p{Nd}]$/u.test(c))
const trimRightLength = (s: string) => s.length - s.replace(/[ \t\r\n]+$/, '').length
const trimLeftLength = (s: string) => s.length - s.replace(/^[ \t\r\n]+/, '').length
const hasLeftTrimMarker = (s: string) => s[0] === '-' && isSpace(s[1])
const hasRightTrimMarker = (s: string) => isSpace(s[0]) && s[1] === '-'

/** Go's %#U of a character: `U+0041 'A'`. */
function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${/\P{C}/u.test(c) ? ` '${c}'` : ''}`
}

export function lex(input: string): Token[] {
  return new Lexer(input).run()
}

class Lexer {
  private pos = 0
  private start = 0
  private parenDepth = 0
  private readonly tokens: Token[] = []

  constructor(private readonly input: string) {}

  run(): Token[] {
    let inside = false
    while (this.pos <= this.input.length) {
      if (!inside) {
        if (!this.lexText()) break
        inside = this.lexLeftDelim()
      } else {
        inside = this.lexInsideAction()
      }
    }
    this.tokens.push({ type: 'eof', pos: this.input.length, val: '' })
    return this.tokens
  }

  private emit(type: TokenType, pos = this.start, end = this.pos) {
    this.tokens.push({ type, pos, val: this.input.slice(pos, end) })
    this.start = this.pos
  }

  private fail(message: string, pos = this.start): never {
    throw new SyntaxFailure(pos, message)
  }

  private peek(offset = 0): string | undefined {
    return this.input[this.pos + offset]
  }

  private rest(from = this.pos): string {
    return this.input.slice(from)
  }

  /** Emits the text up to the next `{{`; false at the end of input. */
  private lexText(): boolean {
    const at = this.input.indexOf(LEFT, this.pos)
    if (at < 0) {
      if (this.input.length > this.start) this.emit('text', this.start, this.input.length)
      return false
    }
    let end = at
    if (hasLeftTrimMarker(this.rest(at + LEFT.length))) end -= trimRightLength(this.input.slice(this.start, at))
    if (end > this.start) this.emit('text', this.start, end)
    this.pos = at
    this.start = at
    return true
  }

  /** At `{{`: a comment is skipped whole (false: still in text), otherwise the action starts (true). */
  private lexLeftDelim(): boolean {
    const delimPos = this.pos
    this.pos += LEFT.length
    const afterMarker = hasLeftTrimMarker(this.rest()) ? 2 : 0
    if (this.rest(this.pos + afterMarker).startsWith('/*')) {
      this.pos += afterMarker
      this.lexComment(delimPos)
      return false
    }
    this.emit('leftDelim', delimPos, this.pos)
    this.pos += afterMarker
    this.start = this.pos
    this.parenDepth = 0
    return true
  }

  private lexComment(delimPos: number) {
    const close = this.input.indexOf('*/', this.pos + 2)
    if (close < 0) this.fail('unclosed comment', delimPos)
    this.pos = close + 2
    const { delim, trim } = this.atRightDelim()
    if (!delim) this.fail('comment ends before closing delimiter', delimPos)
    this.pos += (trim ? 2 : 0) + RIGHT.length
    if (trim) this.pos += trimLeftLength(this.rest())
    this.start = this.pos
  }

  private atRightDelim(): { delim: boolean; trim: boolean } {
    const rest = this.rest()
    if (hasRightTrimMarker(rest) && rest.startsWith(RIGHT, 2)) return { delim: true, trim: true }
    return { delim: rest.startsWith(RIGHT), trim: false }
  }

  private lexRightDelim() {
    const { trim } = this.atRightDelim()
    if (trim) this.pos += 2
    this.start = this.pos
    this.pos += RIGHT.length
    this.emit('rightDelim')
    if (trim) this.pos += trimLeftLength(this.rest())
    this.start = this.pos
  }

  /** One token inside an action; false once the action has closed. */
  private lexInsideAction(): boolean {
    if (this.atRightDelim().delim) {
      if (this.parenDepth > 0) this.fail('unclosed left paren')
      this.lexRightDelim()
      return false
    }
    const c = this.peek()
    if (c === undefined) this.fail('unclosed action')
    if (isSpace(c)) {
      this.lexSpace()
      return true
    }
    this.pos++
    switch (c) {
      case '=':
        this.emit('assign')
        return true
      case ':':
        if (this.peek() !== '=') this.fail('expected :=')
        this.pos++
        this.emit('declare')
        return true
      case '|':
        this.emit('pipe')
        return true
      case '"':
        this.lexQuote('"', 'string', 'unterminated quoted string')
        return true
      case "'":
        this.lexQuote("'", 'charConstant', 'unterminated character constant')
        return true
      case '`':
        this.lexRawQuote()
        return true
      case '$':
        this.lexFieldOrVariable('variable')
        return true
      case '(':
        this.parenDepth++
        this.emit('leftParen')
        return true
      case ')':
        if (--this.parenDepth < 0) this.fail('unexpected right paren')
        this.emit('rightParen')
        return true
    }
    if (c === '.' && !/[0-9]/.test(this.peek() ?? '')) {
      this.lexFieldOrVariable('field')
      return true
    }
    if (c === '.' || c === '+' || c === '-' || /[0-9]/.test(c)) {
      this.pos--
      this.lexNumber()
      return true
    }
    if (isAlphaNumeric(c)) {
      this.lexIdentifier()
      return true
    }
    const code = c.codePointAt(0) ?? 0
    if (code >= 0x20 && code < 0x7f) {
      this.emit('char')
      return true
    }
    this.fail(`unrecognized character in action: ${describeChar(String.fromCodePoint(this.input.codePointAt(this.pos - 1) ?? code))}`)
  }

  /** A run of spaces; the last one is left for ` -}}`. */
  private lexSpace() {
    let count = 0
    while (isSpace(this.peek())) {
      this.pos++
      count++
    }
    if (hasRightTrimMarker(this.rest(this.pos - 1)) && this.rest(this.pos + 1).startsWith(RIGHT)) {
      this.pos--
      if (count === 1) return
    }
    this.emit('space')
  }

  private atTerminator(): boolean {
    const c = this.peek()
    if (c === undefined || isSpace(c) || '.,|:()'.includes(c)) return true
    return this.rest().startsWith(RIGHT)
  }

  private badCharacter(): never {
    const c = this.input.codePointAt(this.pos)
    this.fail(`bad character ${describeChar(c === undefined ? '' : String.fromCodePoint(c))}`)
  }

  private lexIdentifier() {
    while (isAlphaNumeric(this.peek())) this.pos++
    if (!this.atTerminator()) this.badCharacter()
    const word = this.input.slice(this.start, this.pos)
    if (KEYWORDS.has(word)) this.emit(word as Keyword)
    else if (word === 'true' || word === 'false') this.emit('bool')
    else this.emit('identifier')
  }

  /** `.name` or `$name`; `.` and `$` alone are the cursor and the root variable. */
  private lexFieldOrVariable(type: 'field' | 'variable') {
    if (this.atTerminator()) {
      this.emit(type === 'field' ? 'dot' : 'variable')
      return
    }
    while (isAlphaNumeric(this.peek())) this.pos++
    if (!this.atTerminator()) this.badCharacter()
    this.emit(type)
  }

  private lexQuote(quote: string, type: TokenType, unterminated: string) {
    for (;;) {
      const c = this.input[this.pos++]
      if (c === '\\') {
        const next = this.input[this.pos++]
        if (next !== undefined && next !== '\n') continue
        this.fail(unterminated)
      }
      if (c === undefined || c === '\n') this.fail(unterminated)
      if (c === quote) break
    }
    this.emit(type)
  }

  private lexRawQuote() {
    const close = this.input.indexOf('`', this.pos)
    if (close < 0) this.fail('unterminated raw quoted string')
    this.pos = close + 1
    this.emit('rawString')
  }

  private lexNumber() {
    if (!this.scanNumber()) this.fail(`bad number syntax: ${JSON.stringify(this.input.slice(this.start, this.pos))}`)
    if (this.peek() === '+' || this.peek() === '-') this.fail('complex numbers are not supported')
    this.emit('number')
  }

  private accept(valid: string): boolean {
    const c = this.peek()
    if (c !== undefined && valid.includes(c)) {
      this.pos++
      return true
    }
    return false
  }

  private acceptRun(valid: string) {
    while (this.accept(valid));
  }

  private scanNumber(): boolean {
    this.accept('+-')
    let digits = '0123456789_'
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_'
      else if (this.accept('oO')) digits = '01234567_'
      else if (this.accept('bB')) digits = '01_'
    }
    this.acceptRun(digits)
    if (this.accept('.')) this.acceptRun(digits)
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-')
      this.acceptRun('0123456789_')
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-')
      this.acceptRun('0123456789_')
    }
    this.accept('i')
    if (isAlphaNumeric(this.peek())) {
      this.pos++
      return false
    }
    return true
  }
}
