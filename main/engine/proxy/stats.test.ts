import { describe, expect, it } from 'vitest'
import { ProxyCounter } from './stats.ts'

describe('ProxyCounter', () => {
  it('counts requests, hits, misses and evictions, and ranks the busiest paths', () => {
    const counter = new ProxyCounter()
    const request = (path: string, cache?: 'HIT' | 'MISS') => counter.count({ kind: 'request', method: 'GET', path, status: 200, cache, ms: 1 })
    request('kv/data/app', 'MISS')
    request('kv/data/app', 'HIT')
    request('kv/data/app', 'HIT')
    request('kv/data/other', 'MISS')
    request('sys/health')
    counter.count({ kind: 'evicted', secret: 'kv/data/app', cause: 'write-through-proxy' })
    counter.count({ kind: 'lease-evicted', leaseId: 'database/creds/app/Ab…cd', reason: 'revoked' })
    expect(counter.snapshot(2)).toEqual({
      requests: 5,
      hits: 2,
      misses: 2,
      evictions: 2,
      topPaths: [
        { path: 'kv/data/app', requests: 3, hits: 2 },
        { path: 'kv/data/other', requests: 1, hits: 0 },
      ],
    })
  })

  it('never keeps a token that rides in a path', () => {
    const counter = new ProxyCounter()
    counter.count({ kind: 'request', method: 'POST', path: 'auth/token/lookup/s.Secr3tTokenValue', status: 200, ms: 1 })
    expect(JSON.stringify(counter.snapshot())).not.toContain('Secr3t')
  })
})
