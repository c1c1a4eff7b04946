// VSO's durations (`refreshAfter`, `expiryOffset`, `timeout`): the CRD pattern ^([0-9]+(\.[0-9]+)?(s|m|h))$.
import type { Clock } from '../clock.ts'
import { FieldError } from './refs.ts'

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

export function parseDuration(value: string, field: string, allowDays = false): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(s|m|h|d)$/.exec(value)
  if (!match || (match[2] === 'd' && !allowDays)) throw new FieldError(field, `"${value}" is not a duration: write a number with s, m or h, such as 30s, 5m or 1.5h.`)
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
}

/** VSO's horizon for a configured period: 80–90 % of it, so many resources do not refresh in step. */
export function jitteredHorizonMs(periodMs: number, clock: Pick<Clock, 'random'>): number {
  return Math.round(periodMs * (0.8 + 0.1 * clock.random()))
}
