import { describe, expect, it } from 'vitest'
import { jitteredHorizonMs, parseDuration } from './duration.ts'

describe('parseDuration', () => {
  it('reads VSO durations', () => {
    expect(parseDuration('30s', 'spec.refreshAfter')).toBe(30_000)
    expect(parseDuration('1.5h', 'spec.refreshAfter')).toBe(5_400_000)
    expect(parseDuration('2d', 'spec.ttl', true)).toBe(172_800_000)
  })

  it('names the field of a bad one', () => {
    expect(() => parseDuration('10x', 'spec.refreshAfter')).toThrow('spec.refreshAfter: "10x" is not a duration')
    expect(() => parseDuration('2d', 'spec.refreshAfter')).toThrow(/not a duration/)
  })

  it('jitters a horizon to 80–90 % of the period', () => {
    expect(jitteredHorizonMs(60_000, { random: () => 0 })).toBe(48_000)
    expect(jitteredHorizonMs(60_000, { random: () => 0.999999 })).toBe(54_000)
  })
})
