// Sprig's duration and durationRound (the time functions that need no clock).
import { fixed, type GoFunction } from '../signature.ts'
import { parseInt } from '../strconv.ts'
import { textOf, type Value } from '../values.ts'

const SECOND = 1_000_000_000n
const UNITS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: SECOND, m: 60n * SECOND, h: 3600n * SECOND }

/** time.Duration.String of whole seconds: "1h2m3s", "45s", "0s". */
function secondsString(total: bigint): string {
  if (total === 0n) return '0s'
  const sign = total < 0n ? '-' : ''
  const abs = total < 0n ? -total : total
  const [hours, minutes, seconds] = [abs / 3600n, (abs / 60n) % 60n, abs % 60n]
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`
  return `${sign}${seconds}s`
}

/** time.ParseDuration: "1h30m", "-1.5s", "300ms"; undefined when malformed. */
function parseDuration(s: string): bigint | undefined {
  const match = /^([+-]?)((?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(s)
  if (!match) return undefined
  let total = 0n
  for (const [, whole = '', fraction = '', unit = ''] of match[2]!.matchAll(/([0-9]*)\.?([0-9]*)(ns|us|µs|μs|ms|s|m|h)/g)) {
    const scale = UNITS[unit]!
    total += BigInt(whole || '0') * scale
    if (fraction) total += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length)
  }
  return match[1] === '-' ? -total : total
}

/** sprig's duration: seconds (an int, or a string of one) as a Go duration. */
function duration(seconds: Value): string {
  const n = typeof seconds === 'bigint' ? seconds : typeof seconds === 'string' ? (parseInt(seconds, 10) ?? 0n) : 0n
  return secondsString(n)
}

/** sprig's durationRound: a duration (string, or int nanoseconds) in its largest whole unit: "2h", "3mo". */
function durationRound(value: Value): string {
  let d = typeof value === 'bigint' ? value : typeof value === 'string' ? (parseDuration(textOf(value)) ?? 0n) : 0n
  if (d < 0n) d = -d
  const day = 24n * 3600n * SECOND
  const units: [bigint, string][] = [
    [365n * day, 'y'],
    [30n * day, 'mo'],
    [day, 'd'],
    [3600n * SECOND, 'h'],
    [60n * SECOND, 'm'],
    [SECOND, 's'],
  ]
  for (const [size, suffix] of units) if (d > size) return `${d / size}${suffix}`
  return '0s'
}

export const TIME_FUNCTIONS: Record<string, GoFunction> = {
  duration: fixed(['any'], duration),
  durationRound: fixed(['any'], durationRound),
}
