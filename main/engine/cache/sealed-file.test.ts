import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CacheFileCorruptError, openRecords, openSession, readCacheHeader, sealCacheFile, type SealInput } from './sealed-file.ts'

function sealed(overrides: Partial<SealInput> = {}) {
  const input: SealInput = {
    fileId: randomBytes(16),
    transit: { mount: 'transit', key: 'vault-tray-client-cache' },
    wrappedKey: 'vault:v1:wrapped',
    dataKey: randomBytes(32),
    localSecret: randomBytes(32),
    session: { clientToken: 'hvs.session-token' },
    records: [
      { key: 'lease:GET database/creds/app', value: { username: 'v-app-1', password: 'pw-one' } },
      { key: 'lease:GET database/creds/web', value: { username: 'v-web-1', password: 'pw-two' } },
      { key: 'lease:GET database/creds/cron', value: { username: 'v-cron-1', password: 'pw-three' } },
    ],
    ...overrides,
  }
  return { input, content: sealCacheFile(input) }
}

function reopen(content: string, input: SealInput) {
  const { header, lines } = readCacheHeader(content)
  return { session: openSession(header, input.localSecret), records: openRecords(header, lines, input.dataKey, input.localSecret) }
}

describe('the sealed cache file', () => {
  it('opens to exactly what was sealed, and holds no plaintext', () => {
    const { input, content } = sealed()
    expect(reopen(content, input)).toEqual({ session: input.session, records: input.records })
    for (const secret of ['pw-one', 'v-app-1', 'hvs.session-token', 'database/creds']) expect(content).not.toContain(secret)
  })

  it('opens an empty cache', () => {
    const { input, content } = sealed({ records: [], session: undefined })
    expect(reopen(content, input)).toEqual({ session: undefined, records: [] })
  })

  const damage: [string, (lines: string[]) => string[], RegExp][] = [
    ['a flipped byte in a record', (lines) => lines.map((line, i) => (i === 2 ? flipByte(line) : line)), /record 2 of 3 failed its integrity check/],
    ['a record removed and the count kept', (lines) => lines.slice(0, -1), /counts 3 records but 2 are there/],
    ['two records swapped', (lines) => [lines[0]!, lines[2]!, lines[1]!, lines[3]!], /record 1 of 3 failed its integrity check/],
    ['a truncated file', (lines) => [lines[0]!, lines[1]!.slice(0, 10)], /counts 3 records but 1 are there/],
    ['a header that is not JSON', (lines) => ['{"format":', ...lines.slice(1)], /header is not JSON/],
  ]
  it.each(damage)('refuses %s, naming what is wrong', (_what, change, expected) => {
    const { input, content } = sealed()
    const damaged = change(content.trimEnd().split('\n')).join('\n')
    expect(() => reopen(damaged, input)).toThrow(CacheFileCorruptError)
    expect(() => reopen(damaged, input)).toThrow(expected)
  })

  it('refuses a record spliced in from another file sealed with the same keys', () => {
    const { input, content } = sealed()
    const other = sealCacheFile({ ...input, fileId: randomBytes(16) })
    const lines = content.trimEnd().split('\n')
    lines[1] = other.trimEnd().split('\n')[1]!
    expect(() => reopen(lines.join('\n'), input)).toThrow(/record 1 of 3 failed its integrity check/)
  })

  it('cannot be opened with another keychain secret or another data key', () => {
    const { input, content } = sealed()
    expect(() => reopen(content, { ...input, localSecret: randomBytes(32) })).toThrow(/the session failed its integrity check/)
    expect(() => reopen(content, { ...input, dataKey: randomBytes(32) })).toThrow(/record 1 of 3 failed its integrity check/)
  })
})

function flipByte(base64: string): string {
  const bytes = Buffer.from(base64, 'base64')
  bytes[bytes.length - 1]! ^= 0x01
  return bytes.toString('base64')
}
