import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../telemetry/log.ts'
import { ClientCache } from './client-cache.ts'

function memoryCache(maxEntries: number) {
  const lines: string[] = []
  const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) })
  const evicted: string[] = []
  const cache = new ClientCache({ file: '/nonexistent/cache', logger: createLogger({ destination }), maxEntries, onEvict: (key) => evicted.push(key) })
  return { cache, evicted, lines }
}

describe('the client cache without keychain and transit', () => {
  it('stays in memory and says so at start-up, as VSO logs its persistence model and size', async () => {
    const { cache, lines } = memoryCache(10_000)
    const result = await cache.load(async () => 'unused')
    expect(cache.model).toBe('memory')
    expect(result.problem).toMatch(/No OS keychain is configured: the client cache stays in memory/)
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'client cache ready', clientCachePersistenceModel: 'memory', clientCacheSize: 10_000 })
  })

  it('evicts the least recently used entry beyond its size', () => {
    const { cache, evicted } = memoryCache(3)
    for (const key of ['a', 'b', 'c']) cache.set(key, key)
    cache.get('a') // now b is the oldest
    cache.set('d', 'd')
    expect(evicted).toEqual(['b'])
    expect(cache.keys()).toEqual(['c', 'a', 'd'])
    cache.set('c', 'again') // an update refreshes, it does not grow
    expect(cache.size).toBe(3)
    expect(cache.keys()).toEqual(['a', 'd', 'c'])
  })
})
