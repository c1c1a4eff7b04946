// Sprig's list functions. Non-list arguments fail with sprig's messages; every result is a new list.
import { FuncError } from '../errors.ts'
import { fixed, variadic, type GoFunction } from '../signature.ts'
import { compareStrings, deepEqual, isList, isNil, kindName, NIL_LIST, type Value } from '../values.ts'
import { toInt } from './convert.ts'
import { isEmpty } from './defaults.ts'
import { strslice, strval } from './strings.ts'

/** The list argument, or sprig's error for anything else (Go panics on a nil). */
function listOf(v: Value, message: string): Value[] {
  if (isList(v)) return v
  if (isNil(v)) throw new FuncError('runtime error: invalid memory address or nil pointer dereference')
  throw new FuncError(`${message} ${kindName(v)}`)
}

const listFunction = (message: string, fn: (list: Value[]) => Value) => fixed(['any'], (v) => fn(listOf(v, message)))

function chunk(size: number, v: Value): Value[][] {
  const list = listOf(v, 'Cannot chunk type')
  if (size <= 0) throw new FuncError('chunk size must be positive')
  const chunks: Value[][] = []
  for (let i = 0; i < list.length; i += size) chunks.push(list.slice(i, i + size))
  return chunks
}

function slice(v: Value, ...indexes: Value[]): Value {
  const list = listOf(v, 'list should be type of slice or array but')
  if (list.length === 0) return null
  const start = indexes.length > 0 ? toInt(indexes[0]) : 0
  const end = indexes.length > 1 ? toInt(indexes[1]) : list.length
  if (start < 0 || end > list.length || start > end) throw new FuncError('reflect: slice index out of range')
  return list.slice(start, end)
}

function concat(...lists: Value[]): Value {
  const out: Value[] = []
  for (const list of lists) {
    if (!isList(list)) throw new FuncError(`Cannot concat type ${kindName(list)} as list`)
    out.push(...list)
  }
  return out.length ? out : NIL_LIST
}

const uniq = (list: Value[]) => list.filter((item, i) => list.findIndex((other) => deepEqual(other, item)) === i)

/** Each list function and its must* twin: sprig's plain one panics, the must one returns the error; both fail here. */
const withMust = (functions: Record<string, GoFunction>): Record<string, GoFunction> =>
  Object.fromEntries(Object.entries(functions).flatMap(([name, fn]) => [
    [name, fn],
    [`must${name[0]!.toUpperCase()}${name.slice(1)}`, fn],
  ]))

export const LIST_FUNCTIONS: Record<string, GoFunction> = {
  list: variadic([], 'any', (...items) => items),
  tuple: variadic([], 'any', (...items) => items),
  ...withMust({
    append: fixed(['any', 'any'], (v, item) => [...listOf(v, 'Cannot push on type'), item]),
    push: fixed(['any', 'any'], (v, item) => [...listOf(v, 'Cannot push on type'), item]),
    prepend: fixed(['any', 'any'], (v, item) => [item, ...listOf(v, 'Cannot prepend on type')]),
    first: listFunction('Cannot find first on type', (list) => (list.length ? list[0] : null)),
    last: listFunction('Cannot find last on type', (list) => (list.length ? list[list.length - 1] : null)),
    rest: listFunction('Cannot find rest on type', (list) => (list.length ? list.slice(1) : NIL_LIST)),
    initial: listFunction('Cannot find initial on type', (list) => (list.length ? list.slice(0, -1) : NIL_LIST)),
    reverse: listFunction('Cannot find reverse on type', (list) => [...list].reverse()),
    uniq: listFunction('Cannot find uniq on type', uniq),
    compact: listFunction('Cannot compact on type', (list) => list.filter((item) => !isEmpty(item))),
    without: variadic(['any'], 'any', (v, ...omit) => listOf(v, 'Cannot find without on type').filter((item) => !omit.some((o) => deepEqual(o, item)))),
    has: fixed(['any', 'any'], (needle, haystack) => !isNil(haystack) && listOf(haystack, 'Cannot find has on type').some((item) => deepEqual(needle, item))),
    slice: variadic(['any'], 'any', slice),
    chunk: fixed(['int', 'any'], chunk),
  }),
  concat: variadic([], 'any', concat),
  sortAlpha: fixed(['any'], (v) => (isList(v) ? strslice(v).sort(compareStrings) : [strval(v)])),
}
