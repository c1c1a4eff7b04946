import { describe, expect, it } from 'vitest'
import type { Clock } from '../clock.ts'
import type { VaultClient } from '../vault/client.ts'
import { permits, TokenCapabilities } from './capabilities.ts'
import { StaticSecretCache, type StaticCacheEvent } from './static-cache.ts'

function setup(options: { ttlMs?: number; maxBytes?: number } = {}) {
  let now = 1_000_000
  const clock: Clock = { now: () => now, schedule: () => () => {}, random: () => 0.5 }
  // never asked while fresh: a test that reaches Vault fails loudly
  const client = { request: () => Promise.reject(new Error('Vault was asked')) } as unknown as VaultClient
  const events: StaticCacheEvent[] = []
  const cache = new StaticSecretCache(new TokenCapabilities(client, { clock, freshMs: 60 * 60_000 }), { clock, onEvent: (event) => events.push(event), ...options })
  const answer = (bytes: number) => ({ status: 200, headers: {}, body: Buffer.alloc(bytes, 1) })
  return { cache, events, answer, advance: (ms: number) => (now += ms) }
}

describe('the static secret cache', () => {
  it('answers a token only for the version it read itself', () => {
    const { cache, answer } = setup()
    cache.store('reader', '', 'secret/data/app', undefined, answer(10))
    cache.store('auditor', '', 'secret/data/app', '1', answer(10))
    expect(cache.lookup('reader', '', 'secret/data/app', undefined)).toBeTruthy()
    expect(cache.lookup('reader', '', 'secret/data/app', '1')).toBeUndefined()
    expect(cache.lookup('auditor', '', 'secret/data/app', undefined)).toBeUndefined()
    expect(cache.lookup('stranger', '', 'secret/data/app', undefined)).toBeUndefined()
  })

  it('lets an entry go at its TTL, and a secret nobody watches sooner', () => {
    const { cache, answer, advance, events } = setup({ ttlMs: 10_000 })
    cache.store('t', '', 'secret/data/watched', undefined, answer(10))
    cache.store('t', '', 'kv1/unwatched', undefined, answer(10), 2_000)
    advance(3_000)
    expect(cache.lookup('t', '', 'kv1/unwatched', undefined)).toBeUndefined()
    expect(cache.lookup('t', '', 'secret/data/watched', undefined)).toBeTruthy()
    advance(8_000)
    expect(cache.lookup('t', '', 'secret/data/watched', undefined)).toBeUndefined()
    expect(events.filter((event) => event.kind === 'evicted').map((event) => event.kind === 'evicted' && event.cause)).toEqual(['expired', 'expired'])
    expect(cache.size).toBe(0)
  })

  it('stays within its bound in bytes, letting the least recently used go first', () => {
    const { cache, answer } = setup({ maxBytes: 3_100 })
    for (const name of ['a', 'b', 'c']) cache.store('t', '', `secret/data/${name}`, undefined, answer(1_000))
    cache.lookup('t', '', 'secret/data/a', undefined) // a is now the most recent
    cache.store('t', '', 'secret/data/d', undefined, answer(1_000))
    expect(cache.lookup('t', '', 'secret/data/b', undefined)).toBeUndefined()
    for (const name of ['a', 'c', 'd']) expect(cache.lookup('t', '', `secret/data/${name}`, undefined), name).toBeTruthy()
    expect(cache.bytes).toBeLessThanOrEqual(3_100)
    // one answer larger than the whole bound is not kept at all
    cache.store('t', '', 'secret/data/huge', undefined, answer(5_000))
    expect(cache.lookup('t', '', 'secret/data/huge', undefined)).toBeUndefined()
    expect(cache.size).toBe(3)
  })

  it('forgets every version of a secret for a token Vault refused', () => {
    const { cache, answer } = setup()
    cache.store('t', '', 'secret/data/app', undefined, answer(10))
    cache.store('t', '', 'secret/data/app', '1', answer(10))
    cache.forbid('t', '', 'secret/data/app')
    expect(cache.lookup('t', '', 'secret/data/app', undefined)).toBeUndefined()
    expect(cache.lookup('t', '', 'secret/data/app', '1')).toBeUndefined()
  })
})

describe('capabilities', () => {
  it('read needs read or root; a write needs create or update; deny wins', () => {
    expect(permits(['read'], 'read')).toBe(true)
    expect(permits(['list'], 'read')).toBe(false)
    expect(permits(['root'], 'write')).toBe(true)
    expect(permits(['create'], 'write')).toBe(true)
    expect(permits(['read'], 'write')).toBe(false)
    expect(permits(['deny', 'read'], 'read')).toBe(false)
  })
})
