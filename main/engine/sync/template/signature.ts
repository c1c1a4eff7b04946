// A template function's Go signature. The executor checks each argument against its parameter type as Go's
// reflection does (a nil or a json.Number where a string is wanted is an error), then calls the implementation with
// plain JS values.
import type { ArgNode } from './nodes.ts'
import type { GoMap, Value } from './values.ts'

/** Go parameter types: interface{}, string, int, float64, bool, map[string]interface{}. */
export type ParamType = 'any' | 'string' | 'int' | 'float64' | 'bool' | 'map'

/** Go's name of a parameter type, for error messages. */
export const GO_TYPE: Record<ParamType, string> = {
  any: 'interface {}',
  string: 'string',
  int: 'int',
  float64: 'float64',
  bool: 'bool',
  map: 'map[string]interface {}',
}

type Arg<P extends ParamType> = P extends 'string'
  ? string
  : P extends 'int' | 'float64'
    ? number
    : P extends 'bool'
      ? boolean
      : P extends 'map'
        ? GoMap | null
        : Value
type Args<Ps extends readonly ParamType[]> = { [K in keyof Ps]: Arg<Ps[K]> }

export interface GoFunction {
  params: readonly ParamType[]
  /** The type of a trailing `...` parameter. */
  variadic?: ParamType
  /** `nodes[i]` is how argument i was written in the template; undefined for a value piped in. */
  call(args: unknown[], nodes: readonly (ArgNode | undefined)[]): Value
}

export function fixed<const Ps extends readonly ParamType[]>(params: Ps, fn: (...args: Args<Ps>) => Value): GoFunction {
  return { params, call: (args) => fn(...(args as Args<Ps>)) }
}

export function variadic<const Ps extends readonly ParamType[], const V extends ParamType>(params: Ps, rest: V, fn: (...args: [...Args<Ps>, ...Arg<V>[]]) => Value): GoFunction {
  return { params, variadic: rest, call: (args) => fn(...(args as [...Args<Ps>, ...Arg<V>[]])) }
}
