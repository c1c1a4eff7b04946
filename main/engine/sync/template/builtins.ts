// Go's text/template builtins. `and` and `or` short-circuit, so the executor runs them itself; `slice` is sprig's in
// VSO (its function map overrides the builtin).
import { FuncError } from './errors.ts'
import { nodeString } from './nodes.ts'
import { isPrint, sprint, sprintf, sprintln } from './print.ts'
import { fixed, variadic, type GoFunction } from './signature.ts'
import { decodeRune, GoStruct, isList, isMap, isNil, isStringKind, isTrue, stringOf, typeName, type Value } from './values.ts'

type Kind = 'bool' | 'int' | 'float' | 'string' | 'other'

function basicKind(v: Value): Kind {
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'bigint') return 'int'
  if (typeof v === 'number') return 'float'
  return isStringKind(v) ? 'string' : 'other'
}

const basic = (v: Value): boolean | bigint | number | string => (isStringKind(v) ? stringOf(v) : (v as boolean | bigint | number))

function eq(a: Value, ...others: Value[]): boolean {
  if (others.length === 0) throw new FuncError('missing argument for comparison')
  const k1 = basicKind(a)
  for (const b of others) {
    const k2 = basicKind(b)
    if (k1 !== k2) {
      if (!isNil(a) && !isNil(b)) throw new FuncError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`)
      continue
    }
    if (k1 !== 'other') {
      if (basic(a) === basic(b)) return true
      continue
    }
    if (isNil(a) || isNil(b)) {
      if (isNil(a) && isNil(b)) return true
      continue
    }
    if (a instanceof GoStruct) {
      if (a === b) return true
      continue
    }
    throw new FuncError(isMap(a) === isMap(b) ? `non-comparable type ${typeName(b)}` : `non-comparable types ${typeName(a)} and ${typeName(b)}`)
  }
  return false
}

function lt(a: Value, b: Value): boolean {
  const [k1, k2] = [basicKind(a), basicKind(b)]
  if (k1 === 'other' || k2 === 'other') throw new FuncError('invalid type for comparison')
  if (k1 !== k2) throw new FuncError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`)
  if (k1 === 'bool') throw new FuncError('invalid type for comparison')
  return basic(a) < basic(b)
}

function length(item: Value): bigint {
  if (isNil(item)) throw new FuncError('len of nil')
  if (isStringKind(item)) return BigInt(stringOf(item).length)
  if (isList(item)) return BigInt(item.length)
  if (isMap(item)) return BigInt(item.size)
  throw new FuncError(`len of type ${typeName(item)}`)
}

function index(item: Value, ...indexes: Value[]): Value {
  if (isNil(item)) throw new FuncError('index of untyped nil')
  for (const key of indexes) {
    if (isNil(item)) throw new FuncError('index of nil pointer')
    if (isList(item) || isStringKind(item)) {
      if (isNil(key)) throw new FuncError('cannot index slice/array with nil')
      if (typeof key !== 'bigint') throw new FuncError(`cannot index slice/array with type ${typeName(key)}`)
      const length = isList(item) ? item.length : stringOf(item).length
      // the index may come from the data: say only that it is out of range
      if (key < 0n || key >= BigInt(length)) throw new FuncError('index out of range')
      item = isList(item) ? item[Number(key)] : BigInt(stringOf(item).charCodeAt(Number(key)))
    } else if (isMap(item)) {
      if (isNil(key)) throw new FuncError('value is nil; should be of type string')
      if (typeof key !== 'string') throw new FuncError(`value has type ${typeName(key)}; should be string`)
      item = item.has(key) ? item.get(key) : null
    } else {
      throw new FuncError(`can't index item of type ${typeName(item)}`)
    }
  }
  return item ?? null
}

/** The text of html/js/urlquery's arguments: a lone string as is, else fmt.Sprint with nil as `<no value>`. */
function evalArgs(args: Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0]
  return sprint(args.map((arg) => (isNil(arg) ? '<no value>' : arg)))
}

const HTML_ESCAPES: Record<string, string> = { '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' }
const JS_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D' }

function htmlEscape(s: string): string {
  // U+FFFD for NUL, as UTF-8 bytes
  return s.replace(/[\0"'&<>]/g, (c) => (c === '\0' ? '\xef\xbf\xbd' : HTML_ESCAPES[c]!))
}

function jsEscape(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; ) {
    const c = s[i]!
    const code = c.charCodeAt(0)
    if (code < 0x80) {
      out += JS_ESCAPES[c] ?? (code < 0x20 ? `\\u00${code.toString(16).toUpperCase().padStart(2, '0')}` : c)
      i++
      continue
    }
    const [rune, size] = decodeRune(s, i)
    out += isPrint(rune) ? s.slice(i, i + size) : `\\u${rune.toString(16).toUpperCase().padStart(4, '0')}`
    i += size
  }
  return out
}

/** url.QueryEscape. */
function queryEscape(s: string): string {
  return s.replace(/[^A-Za-z0-9\-_.~]/g, (c) => (c === ' ' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`))
}

export const BUILTINS: Record<string, GoFunction> = {
  not: fixed(['any'], (arg) => !isTrue(arg)),
  len: fixed(['any'], length),
  index: variadic(['any'], 'any', index),
  print: variadic([], 'any', (...args) => sprint(args)),
  printf: variadic(['string'], 'any', (format, ...args) => sprintf(format, args)),
  println: variadic([], 'any', (...args) => sprintln(args)),
  eq: variadic(['any'], 'any', eq),
  ne: fixed(['any', 'any'], (a, b) => !eq(a, b)),
  lt: fixed(['any', 'any'], lt),
  le: fixed(['any', 'any'], (a, b) => lt(a, b) || eq(a, b)),
  gt: fixed(['any', 'any'], (a, b) => !(lt(a, b) || eq(a, b))),
  ge: fixed(['any', 'any'], (a, b) => !lt(a, b)),
  html: variadic([], 'any', (...args) => htmlEscape(evalArgs(args))),
  js: variadic([], 'any', (...args) => jsEscape(evalArgs(args))),
  urlquery: variadic([], 'any', (...args) => queryEscape(evalArgs(args))),
  // VSO's input holds no functions, so there is never anything to call; the messages are Go's
  call: {
    params: ['any'],
    variadic: 'any',
    call: ([fn], nodes) => {
      if (isNil(fn as Value)) throw new FuncError('call of nil')
      throw new FuncError(`non-function ${nodes[0] ? nodeString(nodes[0]) : 'value'} of type ${typeName(fn as Value)}`)
    },
  },
}
