// Sprig's arithmetic: integer functions on int64 (wrapping, as Go's), the *f ones through decimals as
// shopspring/decimal does (so addf 0.1 0.2 is 0.3), and number sequences.
import { randomInt } from 'node:crypto'
import { FuncError } from '../errors.ts'
import { formatValue } from '../print.ts'
import { parseInt } from '../strconv.ts'
import { fixed, variadic, type GoFunction } from '../signature.ts'
import { int64, type Value } from '../values.ts'
import { toFloat64, toInt64 } from './convert.ts'

/** coefficient × 10^exponent, exactly. */
interface Decimal {
  coefficient: bigint
  exponent: number
}

/** decimal.NewFromFloat: the shortest decimal that reads back as the float. */
function decimalOf(f: number): Decimal {
  if (!Number.isFinite(f)) throw new FuncError(`Cannot create a Decimal from ${formatValue(f)}`)
  const [mantissa, exponent] = f.toExponential().split('e') as [string, string]
  const digits = mantissa.replace('.', '')
  return { coefficient: BigInt(digits), exponent: Number(exponent) - (digits.replace('-', '').length - 1) }
}

const scale = (d: Decimal, exponent: number): bigint => d.coefficient * 10n ** BigInt(d.exponent - exponent)
const add = (a: Decimal, b: Decimal): Decimal => {
  const exponent = Math.min(a.exponent, b.exponent)
  return { coefficient: scale(a, exponent) + scale(b, exponent), exponent }
}
const negate = (d: Decimal): Decimal => ({ coefficient: -d.coefficient, exponent: d.exponent })
const multiply = (a: Decimal, b: Decimal): Decimal => ({ coefficient: a.coefficient * b.coefficient, exponent: a.exponent + b.exponent })

/** Decimal.Div: the quotient rounded to 16 places, half away from zero. */
function divide(a: Decimal, b: Decimal): Decimal {
  if (b.coefficient === 0n) throw new FuncError('decimal division by zero')
  const shift = a.exponent - b.exponent + 16
  let numerator = shift >= 0 ? a.coefficient * 10n ** BigInt(shift) : a.coefficient
  let denominator = shift >= 0 ? b.coefficient : b.coefficient * 10n ** BigInt(-shift)
  if (denominator < 0n) [numerator, denominator] = [-numerator, -denominator]
  const quotient = numerator / denominator
  const twiceRemainder = 2n * (numerator % denominator)
  const away = twiceRemainder >= denominator ? 1n : twiceRemainder <= -denominator ? -1n : 0n
  return { coefficient: quotient + away, exponent: -16 }
}

const float = (d: Decimal): number => Number(`${d.coefficient}e${d.exponent}`)
const decimalFold = (op: (a: Decimal, b: Decimal) => Decimal) => (first: Value, ...rest: Value[]) =>
  float(rest.reduce<Decimal>((acc, v) => op(acc, decimalOf(toFloat64(v))), decimalOf(toFloat64(first))))

function divideInt(a: Value, b: Value, op: (x: bigint, y: bigint) => bigint): bigint {
  const divisor = toInt64(b)
  if (divisor === 0n) throw new FuncError('runtime error: integer divide by zero')
  return int64(op(toInt64(a), divisor))
}

/** sprig's round: away from zero once the fraction reaches `roundOn` (default .5), at `places` decimals. */
function round(value: Value, places: number, ...roundOn: number[]): number {
  const pow = 10 ** places
  const digit = pow * toFloat64(value)
  const fraction = digit - Math.trunc(digit)
  return (fraction >= (roundOn[0] ?? 0.5) ? Math.ceil(digit) : Math.floor(digit)) / pow
}

/** sprig's untilStep: from start toward stop (exclusive) by step; nothing when step points away. */
function untilStep(start: number, stop: number, step: number): bigint[] {
  const out: bigint[] = []
  if (stop < start) {
    if (step >= 0) return out
    for (let i = start; i > stop; i += step) out.push(BigInt(i))
    return out
  }
  if (step <= 0) return out
  for (let i = start; i < stop; i += step) out.push(BigInt(i))
  return out
}

function seq(...params: number[]): string {
  const join = (list: bigint[]) => list.join(' ')
  if (params.length === 1) {
    const end = params[0]!
    const step = end < 1 ? -1 : 1
    return join(untilStep(1, end + step, step))
  }
  if (params.length === 2) {
    const [start, end] = params as [number, number]
    const step = end < start ? -1 : 1
    return join(untilStep(start, end + step, step))
  }
  if (params.length === 3) {
    const [start, step, end] = params as [number, number, number]
    if (end < start && step > 0) return ''
    return join(untilStep(start, end + (end < start ? -1 : 1), step))
  }
  return ''
}

const max = (first: Value, ...rest: Value[]) => rest.map(toInt64).reduce((a, b) => (b > a ? b : a), toInt64(first))
const min = (first: Value, ...rest: Value[]) => rest.map(toInt64).reduce((a, b) => (b < a ? b : a), toInt64(first))

export const MATH_FUNCTIONS: Record<string, GoFunction> = {
  add1: fixed(['any'], (v) => int64(toInt64(v) + 1n)),
  add: variadic([], 'any', (...values) => values.reduce<bigint>((sum, v) => int64(sum + toInt64(v)), 0n)),
  sub: fixed(['any', 'any'], (a, b) => int64(toInt64(a) - toInt64(b))),
  mul: variadic(['any'], 'any', (first, ...rest) => rest.reduce<bigint>((product, v) => int64(product * toInt64(v)), toInt64(first))),
  div: fixed(['any', 'any'], (a, b) => divideInt(a, b, (x, y) => x / y)),
  mod: fixed(['any', 'any'], (a, b) => divideInt(a, b, (x, y) => x % y)),
  max: variadic(['any'], 'any', max),
  biggest: variadic(['any'], 'any', max),
  min: variadic(['any'], 'any', min),
  add1f: fixed(['any'], (v) => decimalFold(add)(v, 1n)),
  addf: variadic([], 'any', (...values) => decimalFold(add)(0, ...values)),
  subf: variadic(['any'], 'any', decimalFold((a, b) => add(a, negate(b)))),
  mulf: variadic(['any'], 'any', decimalFold(multiply)),
  divf: variadic(['any'], 'any', decimalFold(divide)),
  maxf: variadic(['any'], 'any', (first, ...rest) => rest.map(toFloat64).reduce((a, b) => Math.max(a, b), toFloat64(first))),
  minf: variadic(['any'], 'any', (first, ...rest) => rest.map(toFloat64).reduce((a, b) => Math.min(a, b), toFloat64(first))),
  ceil: fixed(['any'], (v) => Math.ceil(toFloat64(v))),
  floor: fixed(['any'], (v) => Math.floor(toFloat64(v))),
  round: variadic(['any', 'int'], 'float64', round),
  atoi: fixed(['string'], (s) => parseInt(s, 10) ?? 0n),
  int: fixed(['any'], toInt64),
  int64: fixed(['any'], toInt64),
  float64: fixed(['any'], toFloat64),
  toDecimal: fixed(['any'], (v) => parseInt(formatValue(v), 8) ?? 0n),
  seq: variadic([], 'int', seq),
  until: fixed(['int'], (count) => untilStep(0, count, count < 0 ? -1 : 1)),
  untilStep: fixed(['int', 'int', 'int'], untilStep),
  randInt: fixed(['int', 'int'], (low, high) => {
    if (high - low <= 0) throw new FuncError('invalid argument to Intn')
    return BigInt(randomInt(low, high))
  }),
}
