// Sprig's dict functions. Like Go maps, dicts are shared: set, unset and merge change the dict they are given.
import { FuncError } from '../errors.ts'
import { fixed, variadic, type GoFunction } from '../signature.ts'
import { deepCopy, isMap, isNil, sortedKeys, typeName, type GoMap, type Value } from '../values.ts'
import { isEmpty } from './defaults.ts'
import { strval } from './strings.ts'

function dict(...pairs: Value[]): GoMap {
  const out: GoMap = new Map()
  for (let i = 0; i < pairs.length; i += 2) out.set(strval(pairs[i]), i + 1 < pairs.length ? pairs[i + 1] : '')
  return out
}

/**
 * mergo.Merge as sprig calls it: a key the destination lacks (or holds empty) is copied, nested dicts merge, and with
 * `overwrite` the source wins, even with an empty value.
 */
function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const [key, value] of src) {
    if (isNil(value)) {
      if (overwrite) dst.set(key, null)
      continue
    }
    const existing = dst.get(key)
    if (isMap(value) && isMap(existing)) {
      mergeInto(existing, value, overwrite)
      if (!isEmpty(existing)) continue
    } else if (isMap(value) && !isEmpty(existing) && !overwrite) {
      continue
    }
    if (overwrite || !dst.has(key) || isEmpty(existing)) dst.set(key, value)
  }
}

const merge = (overwrite: boolean) => variadic(['map'], 'map', (dst, ...srcs) => {
  const target = dst ?? new Map()
  for (const src of srcs) if (src) mergeInto(target, src, overwrite)
  return target
})

/** sprig's dig: keys, then a default, then the dict; a non-dict on the way is Go's failed type assertion. */
function dig(...args: Value[]): Value {
  if (args.length < 3) throw new FuncError('dig needs at least three arguments')
  const assertion = (v: Value, want: string) => new FuncError(`interface conversion: interface {} is ${typeName(v)}, not ${want}`)
  let current = args[args.length - 1]
  const fallback = args[args.length - 2]
  const keys = args.slice(0, -2)
  if (!isMap(current)) throw assertion(current, 'map[string]interface {}')
  const bad = keys.find((key) => typeof key !== 'string')
  if (bad !== undefined) throw assertion(bad, 'string')
  for (const key of keys as string[]) {
    if (!isMap(current)) throw assertion(current, 'map[string]interface {}')
    if (!current.has(key)) return fallback
    current = current.get(key)
  }
  return current
}

/** Go's map order is random; sprig's keys and values are sorted by key here so the output is stable. */
export const DICT_FUNCTIONS: Record<string, GoFunction> = {
  dict: variadic([], 'any', dict),
  get: fixed(['map', 'string'], (d, key) => (d?.has(key) ? d.get(key) : '')),
  set: fixed(['map', 'string', 'any'], (d, key, value) => {
    if (!d) throw new FuncError('assignment to entry in nil map')
    return d.set(key, value)
  }),
  unset: fixed(['map', 'string'], (d, key) => {
    d?.delete(key)
    return d
  }),
  hasKey: fixed(['map', 'string'], (d, key) => d?.has(key) ?? false),
  pluck: variadic(['string'], 'map', (key, ...dicts) => dicts.filter((d) => d?.has(key)).map((d) => d!.get(key))),
  keys: variadic([], 'map', (...dicts) => dicts.flatMap((d) => (d ? sortedKeys(d) : []))),
  values: fixed(['map'], (d) => (d ? sortedKeys(d).map((key) => d.get(key)) : [])),
  pick: variadic(['map'], 'string', (d, ...keys) => new Map(keys.filter((key) => d?.has(key)).map((key) => [key, d!.get(key)]))),
  omit: variadic(['map'], 'string', (d, ...keys) => new Map([...(d ?? [])].filter(([key]) => !keys.includes(key)))),
  merge: merge(false),
  mustMerge: merge(false),
  mergeOverwrite: merge(true),
  mustMergeOverwrite: merge(true),
  deepCopy: fixed(['any'], deepCopy),
  mustDeepCopy: fixed(['any'], deepCopy),
  dig: variadic([], 'any', dig),
}
