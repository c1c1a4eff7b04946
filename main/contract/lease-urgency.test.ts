import { describe, expect, it } from 'vitest'
import { describeRemaining, leaseUrgency } from './lease-urgency.ts'

const now = 1_800_000_000_000
const minute = 60_000
// a one-hour lease issued ten minutes ago, renewed by the engine at two thirds
const lease = { issuedAt: now - 10 * minute, expiresAt: now + 50 * minute, nextRenewalAt: now + 30 * minute, renewable: true }

describe('leaseUrgency', () => {
  it('is calm while the max TTL is further than one more period', () => {
    expect(leaseUrgency({ ...lease, maxExpiresAt: now + 24 * 60 * minute }, now)).toBe('ok')
    expect(leaseUrgency(lease, now)).toBe('ok')
  })

  it('warns once the max TTL is within one period: the next renewal cannot extend it fully', () => {
    expect(leaseUrgency({ ...lease, maxExpiresAt: now + 59 * minute }, now)).toBe('warning')
  })

  it('warns about an unrenewable lease in the last fifth of its life, and says when it is over', () => {
    expect(leaseUrgency({ ...lease, renewable: false }, now)).toBe('ok')
    expect(leaseUrgency({ ...lease, renewable: false, issuedAt: now - 55 * minute, expiresAt: now + 5 * minute }, now)).toBe('warning')
    expect(leaseUrgency({ ...lease, expiresAt: now }, now)).toBe('expired')
  })

  it('says a renewal is due within a minute', () => {
    expect(leaseUrgency({ ...lease, nextRenewalAt: now + 30_000 }, now)).toBe('renewing-soon')
  })
})

describe('describeRemaining', () => {
  it('keeps a countdown readable', () => {
    expect(describeRemaining(45_000)).toBe('45 s')
    expect(describeRemaining(4 * minute + 5_000)).toBe('4 min 05 s')
    expect(describeRemaining(123 * minute)).toBe('2 h 03 min')
    expect(describeRemaining(0)).toBe('expired')
  })
})
