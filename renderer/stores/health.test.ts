import { describe, expect, it } from 'vitest'
import { kubeStatus, vaultStatus } from './health.svelte.ts'
import { connectionMessage } from './connection.svelte.ts'
import { parseRoute, routeHref } from './route.svelte.ts'
import { reconnectDelay } from '../lib/bridge/websocket-api.ts'

describe('the health store helpers', () => {
  it('names the worst Vault state', () => {
    const base = { address: 'http://127.0.0.1:8200', reachable: true as const, initialized: true, sealed: false, standby: false, version: '2.7.2' }
    expect(vaultStatus(base)).toEqual({ label: 'Healthy', tone: 'ok' })
    expect(vaultStatus({ ...base, sealed: true })).toEqual({ label: 'Sealed', tone: 'error' })
    expect(vaultStatus({ ...base, initialized: false })).toEqual({ label: 'Not initialized', tone: 'warn' })
    expect(vaultStatus({ address: base.address, reachable: false, error: 'refused' })).toEqual({ label: 'Unreachable', tone: 'error' })
  })

  it('treats no kube-context as its own, quiet state', () => {
    expect(kubeStatus({ context: undefined, reachable: false, error: 'no kubeconfig' })).toEqual({ label: 'No kube-context', tone: 'muted' })
    expect(kubeStatus({ context: 'lab', server: 'https://x', reachable: false, error: 'down' }).tone).toBe('error')
  })
})

describe('the connection and the route', () => {
  it('says nothing while connected, and that it reconnects when not', () => {
    expect(connectionMessage('open')).toBeUndefined()
    expect(connectionMessage('closed')).toMatch(/Disconnected.*Reconnecting/)
    expect([0, 1, 2, 10].map(reconnectDelay)).toEqual([250, 500, 1000, 5000])
  })

  it('round-trips views and resource keys through the hash', () => {
    expect(parseRoute('')).toEqual({ view: 'overview' })
    expect(parseRoute('#/secrets')).toEqual({ view: 'secrets' })
    const route = { view: 'why' as const, key: 'VaultStaticSecret/app/db' }
    expect(parseRoute(routeHref(route))).toEqual(route)
    expect(parseRoute('#/nonsense')).toEqual({ view: 'overview' })
    const filtered = { view: 'events' as const, query: { resource: 'VaultStaticSecret/app/web', severity: 'error' } }
    expect(parseRoute(routeHref(filtered))).toEqual(filtered)
  })
})
