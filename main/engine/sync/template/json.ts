// Go's encoding/json for template values: what toJson writes and what VSO stores for non-string source values and
// `_raw`. Map keys sorted, no spaces, `<` `>` `&` escaped as \u003c… unless escapeHTML is off (toRawJson), U+2028
// and U+2029 escaped, invalid UTF-8 as \ufffd. Strings in and out are Go strings.
import { FuncError } from './errors.ts'
import { formatFloat } from './print.ts'
import { decodeRune, goString, GoStruct, isList, isMap, isNil, JsonNumber, NIL_LIST, sortedKeys, textOf, type Value } from './values.ts'

export interface JsonOptions {
  escapeHTML?: boolean
  /** json.MarshalIndent's indent; none for compact output. */
  indent?: string
}

const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' }
const HTML = new Set([0x3c, 0x3e, 0x26])

function encodeString(s: string, escapeHTML: boolean): string {
  let out = '"'
  for (let i = 0; i < s.length; ) {
    const byte = s.charCodeAt(i)
    if (byte < 0x80) {
      if (SHORT_ESCAPES[byte]) out += SHORT_ESCAPES[byte]
      else if (byte < 0x20 || (escapeHTML && HTML.has(byte))) out += `\\u00${byte.toString(16).padStart(2, '0')}`
      else out += s[i]
      i++
      continue
    }
    const [rune, size] = decodeRune(s, i)
    if (size === 1) out += '\\ufffd'
    else if (rune === 0x2028 || rune === 0x2029) out += `\\u${rune.toString(16)}`
    else out += s.slice(i, i + size)
    i += size
  }
  return out + '"'
}

/** A float64 as Go writes it: shortest digits, exponent only below 1e-6 or from 1e21, and `e-7` not `e-07`. */
function encodeFloat(x: number): string {
  if (!Number.isFinite(x)) throw new FuncError(`json: unsupported value: ${formatFloat(x, 'g', -1)}`)
  const abs = Math.abs(x)
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return formatFloat(x, 'e', -1).replace(/e-0(\d)$/, 'e-$1')
  return formatFloat(x, 'f', -1)
}

/** json.Marshal. Throws FuncError for values JSON cannot hold (NaN, infinities). */
export function toJson(v: Value, options: JsonOptions = {}): string {
  const escapeHTML = options.escapeHTML ?? true
  const indent = options.indent
  const encode = (value: Value, depth: number): string => {
    if (isNil(value) || value === NIL_LIST) return 'null'
    if (typeof value === 'string') return encodeString(value, escapeHTML)
    if (typeof value === 'bigint') return value.toString()
    if (typeof value === 'number') return encodeFloat(value)
    if (typeof value === 'boolean') return String(value)
    if (value instanceof JsonNumber) return value.text
    const entries: [key: string | undefined, item: Value][] =
      value instanceof GoStruct
        ? [...value.fields.values()].flatMap((field): [string, Value][] => (field.json === undefined ? [] : [[field.json, field.value]]))
        : isMap(value)
          ? sortedKeys(value).map((key) => [key, value.get(key)])
          : value.map((item) => [undefined, item])
    const [open, close] = isList(value) ? ['[', ']'] : ['{', '}']
    if (entries.length === 0) return open + close
    const inner = indent === undefined ? '' : '\n' + indent.repeat(depth + 1)
    const outer = indent === undefined ? '' : '\n' + indent.repeat(depth)
    const colon = indent === undefined ? ':' : ': '
    const items = entries.map(([key, item]) => (key === undefined ? '' : encodeString(key, escapeHTML) + colon) + encode(item, depth + 1))
    return open + inner + items.join(',' + inner) + outer + close
  }
  return encode(v, 0)
}

/**
 * json.Unmarshal into interface{}: numbers become float64. A number beyond float64 becomes nil, as Go leaves it, and
 * `strict` makes that an error too (mustFromJson). Throws FuncError without quoting the text.
 */
export function fromJson(text: string, strict = false): Value {
  let parsed: unknown
  try {
    parsed = JSON.parse(textOf(text))
  } catch {
    // the parser's message quotes the text, which may be a secret
    throw new FuncError('the text is not valid JSON')
  }
  const convert = (js: unknown): Value => {
    if (js === null || typeof js === 'boolean') return js
    if (typeof js === 'string') return goString(js)
    if (typeof js === 'number') {
      if (Number.isFinite(js)) return js
      if (strict) throw new FuncError('the JSON holds a number out of the range of float64')
      return null
    }
    if (Array.isArray(js)) return js.map(convert)
    return new Map(Object.entries(js as object).map(([key, value]) => [goString(key), convert(value)]))
  }
  return convert(parsed)
}
