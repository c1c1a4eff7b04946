import { describe, expect, it } from 'vitest'
import type { HealthReport, SyncRecord } from '../contract/index.ts'
import type { EngineEvents } from './engine-events.ts'
import { EventLog } from './event-log.ts'
import { maskPath } from './vault/renewal.ts'
import { EventBus } from './events.ts'

const record = (state: SyncRecord['state'], message: string): SyncRecord => ({
  key: 'VaultStaticSecret/app/db',
  kind: 'VaultStaticSecret',
  namespace: 'app',
  name: 'db',
  state,
  message,
  drift: false,
  control: { paused: false, once: false },
})

const health = (sealed: boolean | 'unreachable', kubeReachable = true): HealthReport => ({
  vault: sealed === 'unreachable' ? { address: 'http://vault', reachable: false, error: 'connection refused' } : { address: 'http://vault', reachable: true, initialized: true, sealed, standby: false, version: '2.1.0' },
  kube: kubeReachable ? { context: 'lab', server: 'https://k', reachable: true, version: 'v1.31.0' } : { context: 'lab', server: 'https://k', reachable: false, error: 'kube-context "lab" refused the connection' },
})

function fed() {
  const bus = new EventBus<EngineEvents>()
  const log = new EventLog(1000, () => 42)
  log.follow(bus)
  return { bus, log }
}

describe('the event log', () => {
  it('keeps the newest entries of a full ring and pages from any seq, skipping what was dropped', () => {
    const log = new EventLog(3)
    expect(log.since(0, 10)).toEqual({ events: [], first: 1, last: 0 })
    for (let i = 1; i <= 5; i++) log.append({ source: 'engine', severity: 'info', message: `m${i}` })
    expect(log.first).toBe(3)
    const all = log.since(0, 10)
    expect(all.events.map((entry) => entry.message)).toEqual(['m3', 'm4', 'm5'])
    expect([all.first, all.last]).toEqual([3, 5])
    expect(log.since(3, 1).events.map((entry) => entry.seq)).toEqual([4])
    expect(log.since(5, 10).events).toEqual([])
  })

  it('tells listeners of each appended entry until they unsubscribe', () => {
    const log = new EventLog(10)
    const seen: number[] = []
    const off = log.onAppend((entry) => seen.push(entry.seq))
    log.append({ source: 'engine', severity: 'info', message: 'a' })
    off()
    log.append({ source: 'engine', severity: 'info', message: 'b' })
    expect(seen).toEqual([1])
  })

  it('logs record state changes and rotations, not reconciles that changed nothing', () => {
    const { bus, log } = fed()
    const sync = (r: SyncRecord) => bus.emit('sync', { kind: 'record', record: r, context: 'lab' })
    sync(record('synced', 'synced'))
    sync(record('synced', 'unchanged'))
    sync(record('synced', 'unchanged'))
    sync(record('synced', 'rotated'))
    sync(record('failing', 'permission denied'))
    sync(record('failing', 'permission denied'))
    const lines = log.since(0, 100).events
    expect(lines.map((entry) => [entry.source, entry.severity, entry.message])).toEqual([
      ['sync', 'info', 'synced'],
      ['rotation', 'info', 'synced: rotated'],
      ['sync', 'error', 'failing: permission denied'],
    ])
    expect(lines[0]).toMatchObject({ seq: 1, at: 42, namespace: 'app', resource: 'VaultStaticSecret/app/db' })
  })

  it('logs Kubernetes Events with their reason, a Warning as a warning', () => {
    const { bus, log } = fed()
    bus.emit('sync', { kind: 'kube-event', key: 'VaultStaticSecret/app/db', type: 'Warning', reason: 'VaultClientError', message: 'Failed to read: 403', context: 'lab' })
    expect(log.since(0, 10).events[0]).toMatchObject({ source: 'kubernetes', severity: 'warning', namespace: 'app', resource: 'VaultStaticSecret/app/db', message: 'VaultClientError: Failed to read: 403' })
  })

  it('logs health transitions only: sealed, unsealed, unreachable, the cluster lost and back', () => {
    const { bus, log } = fed()
    for (const report of [health(false), health(false), health(true), health(true), health('unreachable', false), health(false, true)]) bus.emit('health', report)
    expect(log.since(0, 100).events.map((entry) => [entry.source, entry.severity, entry.message])).toEqual([
      ['vault', 'info', 'Vault at http://vault is unsealed (version 2.1.0)'],
      ['kubernetes', 'info', 'kube-context "lab" is reachable (v1.31.0)'],
      ['vault', 'error', 'Vault at http://vault is sealed (version 2.1.0)'],
      ['vault', 'error', 'Vault at http://vault is unreachable: connection refused'],
      ['kubernetes', 'error', 'kube-context "lab" refused the connection'],
      ['vault', 'info', 'Vault at http://vault is unsealed (version 2.1.0)'],
      ['kubernetes', 'info', 'kube-context "lab" is reachable (v1.31.0)'],
    ])
  })

  it('logs lease renewals and rotations, proxy requests and lab steps under their own sources', () => {
    const { bus, log } = fed()
    bus.emit('vault', { source: 'lease', event: { kind: 'renewed', leaseId: 'database/creds/app/abcd…', path: 'database/creds/app', ttlSeconds: 3600, expiresAt: 0 } })
    bus.emit('vault', { source: 'lease', event: { kind: 'rotated', leaseId: 'database/creds/app/efgh…', path: 'database/creds/app', ttlSeconds: 3600, expiresAt: 0 } })
    // a request that succeeded is counted, not logged; one Vault refused is
    bus.emit('proxy', { kind: 'request', method: 'GET', path: '/v1/kv/data/app', status: 200, cache: 'HIT', ms: 1.2 })
    bus.emit('proxy', { kind: 'request', method: 'GET', path: '/v1/kv/data/other', status: 403, cache: 'MISS', ms: 3.4 })
    bus.emit('lab', { kind: 'failed', id: 'vault', title: 'Start OpenBao', ms: 10, error: 'port in use', changes: [], notes: [], logs: [] } as never)
    expect(log.since(0, 10).events.map((entry) => [entry.source, entry.severity, entry.message])).toEqual([
      ['renewal', 'info', 'lease database/creds/app/abcd… (database/creds/app) renewed, ttl 3600 s'],
      ['rotation', 'info', 'lease database/creds/app/efgh… (database/creds/app) rotated: new credentials'],
      ['proxy', 'info', 'GET /v1/kv/data/other 403 MISS 3 ms'],
      ['lab', 'error', 'Start OpenBao: failed: port in use'],
    ])
  })

  it('never logs a token or a whole lease id that a request carried in its path', () => {
    const token = 'hvs.CAESIJ0secretTokenValue123456'
    expect(maskPath(`/v1/auth/token/lookup/${token}`)).toBe('/v1/auth/token/lookup/…')
    expect(maskPath(`/v1/auth/token/revoke-orphan/${token}`)).toBe('/v1/auth/token/revoke-orphan/…')
    expect(maskPath('/v1/sys/leases/revoke/database/creds/app/AbCdEfGhIjKlMnOp')).toBe('/v1/sys/leases/revoke/database/creds/app/AbCd…MnOp')
    expect(maskPath('/v1/kv/data/app')).toBe('/v1/kv/data/app')
    const { bus, log } = fed()
    bus.emit('proxy', { kind: 'request', method: 'GET', path: `/v1/auth/token/lookup/${token}`, status: 200, ms: 1 })
    expect(JSON.stringify(log.since(0, 10))).not.toContain(token)
  })
})
