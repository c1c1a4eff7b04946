// The Go values a template works on, held as JS values.
//
// A Go string is a run of bytes, not of UTF-16 units: `len`, `substr`, hashes, base64 and the bytes finally written
// all count bytes, and `b64dec` may produce bytes that are not UTF-8 at all (a keystore). So a Go string is held as a
// JS string with one char per byte (latin1). `goString` and `textOf` convert at the edges; functions that work on
// characters (upper, regexes, JSON) decode with `textOf` and encode their result with `goString`.
//
//   Go                      JS
//   string                  string (one char per byte)
//   int, int64              bigint
//   float64                 number
//   bool                    boolean
//   json.Number             JsonNumber (Vault's numbers, decoded with UseNumber as VSO's client does)
//   []interface{}           Value[]
//   map[string]interface{}  Map<string, Value>
//   *struct                 GoStruct (the template input)
//   nil interface           null (e.g. a JSON null inside a map)
//   invalid reflect.Value   undefined (a missing map key; prints "<no value>")

export class JsonNumber {
  constructor(readonly text: string) {}
}

/** A pointer to a struct: only the template input. A field without a JSON name is left out of JSON (omitempty). */
export class GoStruct {
  constructor(
    readonly typeName: string,
    readonly fields: ReadonlyMap<string, { value: Value; json?: string }>,
  ) {}
}

export type GoMap = Map<string, Value>
export type Value = undefined | null | string | bigint | number | boolean | JsonNumber | GoStruct | GoMap | Value[]

/** A nil []interface{} (sprig's `rest` of an empty list): prints as `[]` but is `null` in JSON. Never mutated. */
export const NIL_LIST: Value[] = Object.freeze([]) as unknown as Value[]

/** Only ASCII: the same in UTF-16 text and in Go bytes. */
export const isAscii = (s: string): boolean => !/[\x80-\uffff]/.test(s)

/** UTF-16 text → Go string (its UTF-8 bytes). */
export function goString(text: string): string {
  return isAscii(text) ? text : Buffer.from(text, 'utf8').toString('latin1')
}

/** Go string → UTF-16 text; bytes that are not UTF-8 become U+FFFD, as when Go ranges over them. */
export function textOf(bytes: string): string {
  return isAscii(bytes) ? bytes : Buffer.from(bytes, 'latin1').toString('utf8')
}

export const bytesOf = (s: string): Buffer => Buffer.from(s, 'latin1')

export const isMap = (v: Value): v is GoMap => v instanceof Map
export const isList = (v: Value): v is Value[] => Array.isArray(v)
export const isNil = (v: Value): v is null | undefined => v === null || v === undefined
/** Go strings and json.Number share the string kind: they compare, range and measure alike. */
export const isStringKind = (v: Value): v is string | JsonNumber => typeof v === 'string' || v instanceof JsonNumber
export const stringOf = (v: string | JsonNumber): string => (typeof v === 'string' ? v : v.text)

/** Go's `%T`. Every list and map is typed as the JSON decoder would make it. */
export function typeName(v: Value): string {
  if (isNil(v)) return '<nil>'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'bigint') return 'int'
  if (typeof v === 'number') return 'float64'
  if (typeof v === 'boolean') return 'bool'
  if (v instanceof JsonNumber) return 'json.Number'
  if (v instanceof GoStruct) return v.typeName
  if (isMap(v)) return 'map[string]interface {}'
  return '[]interface {}'
}

/** reflect.Kind's name. */
export function kindName(v: Value): string {
  if (isNil(v)) return 'invalid'
  if (isStringKind(v)) return 'string'
  if (typeof v === 'bigint') return 'int'
  if (typeof v === 'number') return 'float64'
  if (typeof v === 'boolean') return 'bool'
  if (v instanceof GoStruct) return 'ptr'
  return isMap(v) ? 'map' : 'slice'
}

/** Go's template truth: false, 0, nil and empty strings, lists and maps are false. */
export function isTrue(v: Value): boolean {
  if (isNil(v)) return false
  if (isStringKind(v)) return stringOf(v).length > 0
  if (typeof v === 'bigint') return v !== 0n
  if (typeof v === 'number') return v !== 0
  if (typeof v === 'boolean') return v
  if (v instanceof GoStruct) return true
  return isMap(v) ? v.size > 0 : v.length > 0
}

/** Go sorts string map keys by their bytes, which is code unit order for Go strings. */
export const sortedKeys = (m: GoMap): string[] => [...m.keys()].sort(compareStrings)
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Decoded JSON (as JSON.parse gives it) → the value Go's decoder makes with UseNumber. */
export function fromJsonValue(js: unknown): Value {
  if (js === null || js === undefined) return null
  if (typeof js === 'string') return goString(js)
  if (typeof js === 'number') return new JsonNumber(String(js))
  if (typeof js === 'boolean') return js
  if (Array.isArray(js)) return js.map(fromJsonValue)
  if (typeof js === 'object') return new Map(Object.entries(js).map(([key, value]) => [goString(key), fromJsonValue(value)]))
  throw new TypeError(`a ${typeof js} is not JSON data`)
}

/** A fresh copy of lists and maps, sharing nothing with `v` (sprig's deepCopy). */
export function deepCopy(v: Value): Value {
  if (isList(v)) return v.map(deepCopy)
  if (isMap(v)) return new Map([...v].map(([key, value]) => [key, deepCopy(value)]))
  return v
}

/** reflect.DeepEqual over our values; int and float64 of the same number differ, as their types do. */
export function deepEqual(a: Value, b: Value): boolean {
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b)
  if (a instanceof JsonNumber) return b instanceof JsonNumber && a.text === b.text
  if (isList(a)) return isList(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]))
  if (isMap(a)) return isMap(b) && a.size === b.size && [...a].every(([key, value]) => b.has(key) && deepEqual(value, b.get(key)))
  if (a instanceof GoStruct) return a === b
  return typeof a === typeof b && a === b
}

/** Go int64 arithmetic wraps. */
export const int64 = (n: bigint): bigint => BigInt.asIntN(64, n)

/**
 * The character at byte `i` of a Go string and its length in bytes, as utf8.DecodeRuneInString: a byte that does not
 * start valid UTF-8 is U+FFFD of length 1.
 */
export function decodeRune(s: string, i: number): [rune: number, size: number] {
  const b0 = s.charCodeAt(i)
  if (b0 < 0x80) return [b0, 1]
  const size = b0 < 0xc2 ? 0 : b0 < 0xe0 ? 2 : b0 < 0xf0 ? 3 : b0 < 0xf5 ? 4 : 0
  if (size === 0 || i + size > s.length) return [0xfffd, 1]
  let rune = b0 & (0xff >> (size + 1))
  for (let k = 1; k < size; k++) {
    const b = s.charCodeAt(i + k)
    if ((b & 0xc0) !== 0x80) return [0xfffd, 1]
    rune = (rune << 6) | (b & 0x3f)
  }
  const min = size === 2 ? 0x80 : size === 3 ? 0x800 : 0x10000
  if (rune < min || rune > 0x10ffff || (rune >= 0xd800 && rune < 0xe000)) return [0xfffd, 1]
  return [rune, size]
}

/** The characters of a Go string, invalid bytes as U+FFFD each. */
export function runesOf(s: string): number[] {
  const runes: number[] = []
  for (let i = 0; i < s.length; ) {
    const [rune, size] = decodeRune(s, i)
    runes.push(rune)
    i += size
  }
  return runes
}

/** A character as a Go string (its UTF-8 bytes). */
export const encodeRune = (rune: number): string => goString(String.fromCodePoint(rune))
