import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decodeSecretData, macEquals, secretMac } from './hmac.ts'

describe('secretMac', () => {
  const key = Buffer.alloc(16, 7)

  it('is HMAC-SHA256 over Go json.Marshal of map[string][]byte: sorted keys, base64 values', () => {
    const data = { username: Buffer.from('app'), password: Buffer.from('s3cr3t') }
    const expected = createHmac('sha256', key).update('{"password":"czNjcjN0","username":"YXBw"}').digest('base64')
    expect(secretMac(key, data)).toBe(expected)
  })

  it('does not depend on key order, and changes with any byte', () => {
    const a = secretMac(key, { a: Buffer.from('1'), b: Buffer.from('2') })
    expect(secretMac(key, { b: Buffer.from('2'), a: Buffer.from('1') })).toBe(a)
    expect(secretMac(key, { a: Buffer.from('1'), b: Buffer.from('3') })).not.toBe(a)
  })

  it('matches the live Secret read back from the apiserver', () => {
    const data = { token: Buffer.from([0, 255, 10]) }
    expect(macEquals(secretMac(key, decodeSecretData({ token: 'AP8K' })), secretMac(key, data))).toBe(true)
    expect(macEquals(undefined, secretMac(key, data))).toBe(false)
  })
})
