// Sprig's defaults and flow control: default, empty, coalesce, all, any, ternary, fail.
import { FuncError } from '../errors.ts'
import { fixed, variadic, type GoFunction } from '../signature.ts'
import { GoStruct, isList, isMap, isNil, isStringKind, stringOf, textOf, type Value } from '../values.ts'

/** sprig's empty: nil, false, 0, and empty strings, lists and maps. */
export function isEmpty(v: Value): boolean {
  if (isNil(v)) return true
  if (isStringKind(v)) return stringOf(v).length === 0
  if (isList(v)) return v.length === 0
  if (isMap(v)) return v.size === 0
  if (v instanceof GoStruct) return false
  return !v
}

export const DEFAULT_FUNCTIONS: Record<string, GoFunction> = {
  default: variadic(['any'], 'any', (fallback, ...given) => (given.length === 0 || isEmpty(given[0]) ? fallback : given[0])),
  empty: fixed(['any'], isEmpty),
  coalesce: variadic([], 'any', (...values) => values.find((v) => !isEmpty(v)) ?? null),
  all: variadic([], 'any', (...values) => values.every((v) => !isEmpty(v))),
  any: variadic([], 'any', (...values) => values.some((v) => !isEmpty(v))),
  ternary: fixed(['any', 'any', 'bool'], (ifTrue, ifFalse, condition) => (condition ? ifTrue : ifFalse)),
  // The message is shown only when the template spells it out: one computed from the data may hold a secret.
  fail: {
    params: ['string'],
    call: ([message], nodes) => {
      if (nodes[0]?.kind === 'string') throw new FuncError(textOf(message as string))
      throw new FuncError('the template called fail; its message is not shown because it is computed from the data and may hold a secret')
    },
  },
}
