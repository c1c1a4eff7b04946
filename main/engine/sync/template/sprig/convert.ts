// spf13/cast as sprig uses it: conversions that never fail, giving 0 for what they cannot read.
import { INT64_MIN, parseFloat, parseInt } from '../strconv.ts'
import { isNil, isStringKind, stringOf, type Value } from '../values.ts'

/** cast's trimZeroDecimal: "12.000" reads as "12". */
function trimZeroDecimal(s: string): string {
  const match = /^(.*)\.0+$/.exec(s)
  return match && match[1] !== '' ? match[1]! : s
}

/** Go's int64(f): truncation; out of range gives the minimum, as on amd64. */
function truncate(f: number): bigint {
  return Number.isFinite(f) && Math.abs(f) < 2 ** 63 ? BigInt(Math.trunc(f)) : INT64_MIN
}

/** cast.ToInt64. */
export function toInt64(v: Value): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') return truncate(v)
  if (typeof v === 'boolean') return v ? 1n : 0n
  if (isStringKind(v)) return parseInt(trimZeroDecimal(stringOf(v)), 0) ?? 0n
  return 0n
}

/** cast.ToInt, as a JS number for counts and indexes. */
export const toInt = (v: Value): number => Number(toInt64(v))

/** cast.ToFloat64. */
export function toFloat64(v: Value): number {
  if (isNil(v)) return 0
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  if (isStringKind(v)) return parseFloat(stringOf(v)) ?? 0
  return 0
}
