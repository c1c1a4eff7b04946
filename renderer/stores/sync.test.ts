import { describe, expect, it } from 'vitest'
import type { SyncOverview, SyncRecord } from '../../main/contract/index.ts'
import { clientCacheLine, describeAge, emptyReason, isFailing, otherWriter, sortRecords, stateLabel, stateTone, whyNotSynced } from './sync.svelte.ts'

const record = (name: string, state: SyncRecord['state'], extra: Partial<SyncRecord> = {}): SyncRecord => ({
  key: `VaultStaticSecret/app/${name}`,
  kind: 'VaultStaticSecret',
  namespace: 'app',
  name,
  state,
  message: state,
  drift: false,
  control: { paused: state === 'paused', once: false },
  ...extra,
})

describe('the sync store helpers', () => {
  it('gives each state a tone and a label, failures in the error tone', () => {
    expect(stateTone('failing')).toBe('error')
    expect(stateTone('invalid')).toBe('error')
    expect(stateTone('synced')).toBe('ok')
    expect(stateTone('pending')).toBe('busy')
    expect(stateLabel('paused')).toBe('Paused')
    expect(isFailing(record('a', 'invalid'))).toBe(true)
    expect(isFailing(record('a', 'paused'))).toBe(false)
  })

  it('sorts failures first, then what is in flight, then by key', () => {
    const sorted = sortRecords([record('b', 'synced'), record('a', 'synced'), record('c', 'pending'), record('d', 'failing')])
    expect(sorted.map((r) => r.name)).toEqual(['d', 'c', 'a', 'b'])
  })

  it('describes how long ago a sync was', () => {
    const now = 1_000_000_000
    expect(describeAge(undefined, now)).toBe('never')
    expect(describeAge(now - 2000, now)).toBe('just now')
    expect(describeAge(now - 42_000, now)).toBe('42 s ago')
    expect(describeAge(now - 5 * 60_000, now)).toBe('5 min ago')
    expect(describeAge(now - 3 * 3_600_000, now)).toBe('3 h ago')
    expect(describeAge(now - 2 * 86_400_000, now)).toBe('2 d ago')
    expect(describeAge(now + 10_000, now)).toBe('just now')
  })

  it('tells why there is nothing to list', () => {
    const running: SyncOverview = { running: true, context: 'lab', mode: 'write', records: [] }
    expect(emptyReason(running, false)).toBe('no-kube-context')
    expect(emptyReason({ running: false, records: [] }, true)).toBe('not-running')
    expect(emptyReason(running, true)).toBe('no-resources')
    expect(emptyReason({ ...running, records: [record('a', 'synced')] }, true)).toBeUndefined()
  })

  it('puts cause and fix in one sentence, and falls back to the message', () => {
    const diagnosed = record('a', 'failing', { diagnosis: { cause: 'Vault is sealed', fix: 'Unseal it.', evidence: [] } })
    expect(whyNotSynced(diagnosed)).toBe('Vault is sealed. Unseal it.')
    expect(whyNotSynced(record('b', 'failing', { message: 'something broke' }))).toBe('something broke')
  })
})

describe('otherWriter', () => {
  const overview = (writer?: SyncOverview['writer']): SyncOverview => ({ running: true, context: 'lab', mode: writer?.leader === false ? 'observe' : 'write', ...(writer ? { writer } : {}), records: [] })
  it('says who holds the writer Lease when it is someone else, and nothing when this copy writes or wants no Lease', () => {
    const holder = { identity: 'vault-tray ann@desk pid 42 #abcdef', lease: 'vault-secrets-operator/b0d477c0.hashicorp.com', since: Date.UTC(2026, 11, 7) }
    expect(otherWriter(overview({ leader: false, identity: 'me', holder, reason: 'held' }))).toMatch(/^vault-tray ann@desk pid 42 #abcdef writes this kube-context \(it holds the writer Lease vault-secrets-operator\/b0d477c0\.hashicorp\.com since .+\)\. This copy only observes/)
    expect(otherWriter(overview({ leader: false, identity: 'me', reason: 'could not take the writer Lease: 403' }))).toBe('could not take the writer Lease: 403')
    expect(otherWriter(overview({ leader: true, identity: 'me', reason: 'holds it' }))).toBeUndefined()
    expect(otherWriter(overview())).toBeUndefined()
  })
})

describe('clientCacheLine', () => {
  const overview = (clientCache?: SyncOverview['clientCache'], running = true): SyncOverview => ({ running, records: [], ...(clientCache ? { clientCache } : {}) })
  it('names the state in words with its tone, and keeps the reason', () => {
    expect(clientCacheLine(overview({ state: 'persistent', detail: 'sealed with transit/vso-client-cache' }))).toEqual({ label: 'persistent', tone: 'ok', detail: 'sealed with transit/vso-client-cache' })
    expect(clientCacheLine(overview({ state: 'memory', detail: 'no VaultAuth labelled cacheStorageEncryption=true' }))).toMatchObject({ label: 'in memory', tone: 'muted' })
    expect(clientCacheLine(overview({ state: 'locked', detail: 'the keychain is locked' }))).toMatchObject({ label: 'locked', tone: 'error', detail: 'the keychain is locked' })
  })
  it('says nothing before the engine opened it or when sync does not run', () => {
    expect(clientCacheLine(overview())).toBeUndefined()
    expect(clientCacheLine(overview({ state: 'persistent', detail: 'x' }, false))).toBeUndefined()
    expect(clientCacheLine(undefined)).toBeUndefined()
  })
})
