import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { diffKeys, digestValues, isBinary, kvValueBytes, maskKeys, revealBytes } from './inspect-values.ts'

const bytes = (text: string) => Buffer.from(text, 'utf8')

describe('safe inspection of values', () => {
  it('calls text text and anything else binary', () => {
    expect(isBinary(bytes('pässwörd\twith\r\nlines ✓'))).toBe(false)
    expect(isBinary(Buffer.from([0xff, 0xfe, 0x41]))).toBe(true) // not UTF-8
    expect(isBinary(bytes('nul\u0000inside'))).toBe(true) // control byte
    expect(isBinary(bytes('bell\u0007'))).toBe(true)
    expect(isBinary(Buffer.alloc(0))).toBe(false)
  })

  it('masks keys to their names, sizes and binary flag', () => {
    const masked = maskKeys(new Map([['b', Buffer.from([0, 1, 2])], ['a', bytes('héllo')]]))
    expect(masked).toEqual([{ key: 'a', bytes: 6, binary: false }, { key: 'b', bytes: 3, binary: true }])
    expect(JSON.stringify(masked)).not.toContain('héllo')
  })

  it('reads KV values as the vault CLI prints them', () => {
    expect(kvValueBytes('plain').toString()).toBe('plain')
    expect(kvValueBytes(42).toString()).toBe('42')
    expect(kvValueBytes({ nested: [1, 'x'] }).toString()).toBe('{"nested":[1,"x"]}')
  })

  it('reveals the whole value up to the limit, text as utf8 and binary as base64', () => {
    const binary = randomBytes(64)
    binary[0] = 0xff // never valid UTF-8
    expect(revealBytes('blob', binary)).toEqual({ key: 'blob', encoding: 'base64', value: binary.toString('base64'), bytes: 64, truncated: false })
    const big = bytes('x'.repeat(1024 * 1024))
    const revealed = revealBytes('big', big)
    expect(revealed.truncated).toBe(false)
    expect(revealed.value.length).toBe(1024 * 1024)
  })

  it('past the limit gives the beginning only, never half a character', () => {
    const value = bytes('aaa€€€') // € is three bytes
    const revealed = revealBytes('k', value, 5)
    expect(revealed).toEqual({ key: 'k', encoding: 'utf8', value: 'aaa', bytes: 12, truncated: true })
  })

  it('tells added, removed and changed keys from digests', () => {
    const key = randomBytes(32)
    const v1 = digestValues(new Map([['user', bytes('app')], ['password', bytes('one')], ['old', bytes('x')]]), key)
    const v2 = digestValues(new Map([['user', bytes('app')], ['password', bytes('two')], ['new', bytes('y')]]), key)
    expect(diffKeys(v1, v2)).toEqual({ added: ['new'], removed: ['old'], changed: ['password'] })
    expect(diffKeys(undefined, v1)).toEqual({ added: ['old', 'password', 'user'], removed: [], changed: [] })
    expect(diffKeys(v2, v2)).toEqual({ added: [], removed: [], changed: [] })
  })
})
