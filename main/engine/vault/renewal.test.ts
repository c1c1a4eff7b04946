import { describe, expect, it } from 'vitest'
import { isTruncated, maskId, renewalDelayMs } from './renewal.ts'

const fixed = (random: number) => ({ random: () => random })

describe('renewalDelayMs', () => {
  it('renews between renewalPercent and renewalPercent + 10 of the TTL, as VSO does', () => {
    expect(renewalDelayMs(100, 67, fixed(0))).toBe(77_000)
    expect(renewalDelayMs(100, 67, fixed(0.999999))).toBe(67_000)
  })

  it('caps renewalPercent at 90 and floors it at 0', () => {
    expect(renewalDelayMs(100, 150, fixed(0.5))).toBe(95_000)
    expect(renewalDelayMs(100, -5, fixed(0.5))).toBe(5_000)
  })
})

describe('isTruncated', () => {
  it('is true when Vault granted less than asked', () => {
    expect(isTruncated(3600, 1200)).toBe(true)
    expect(isTruncated(3600, 3600)).toBe(false)
  })
})

describe('maskId', () => {
  it('keeps the mount path and the ends of the id, never the whole id', () => {
    const id = 'database/creds/app/T6Kp2Xb0sRqYvW9nLmZcA1dE'
    expect(maskId(id)).toBe('database/creds/app/T6Kp…A1dE')
    expect(maskId('hvs.CAESIJ4')).toBe('hvs.…SIJ4')
    expect(maskId('abcd')).toBe('abcd…')
  })
})
