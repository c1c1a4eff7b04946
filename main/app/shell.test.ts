// The Electron shell's decisions, without Electron: security settings, IPC checks, the tray's state and menu,
// notifications, and the fuses and targets of the package.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { load } from 'js-yaml'
import { describe, expect, it } from 'vitest'
import { BridgeError, INVOKE_CHANNELS, type HealthReport, type InvokeHandlers, type LeaseView, type SyncRecord } from '../contract/index.ts'
import { notificationsFor, type WatchedState } from './notifications.ts'
import { ALLOWED_PERMISSIONS, answerInvoke, CONTENT_SECURITY_POLICY, isRendererFrame, mayNavigate, WEB_PREFERENCES } from './security.ts'
import { trayMenu } from './tray-menu.ts'
import { trayState } from './tray-state.ts'

const RENDERER = 'file:///opt/Vault Tray/resources/app.asar/out/renderer/index.html'
const now = 1_800_000_000_000
const healthy: HealthReport = {
  vault: { address: 'http://127.0.0.1:8200', reachable: true, initialized: true, sealed: false, standby: false, version: '2.7.2' },
  kube: { context: 'lab', server: 'https://127.0.0.1:6443', reachable: true, version: 'v1.35.4' },
}
const record = (name: string, state: SyncRecord['state']): SyncRecord => ({ key: `VaultStaticSecret/app/${name}`, kind: 'VaultStaticSecret', namespace: 'app', name, state, message: state, drift: false, control: { paused: false, once: false } })
const lease = (overrides: Partial<LeaseView> = {}): LeaseView => ({ handle: 'VaultDynamicSecret/app/db', source: 'sync', owner: 'VaultDynamicSecret app/db', maskedId: 'database/creds/app/AbCd…', path: 'database/creds/app', renewable: true, issuedAt: now - 600_000, expiresAt: now + 3_000_000, restarts: ['Deployment/web'], ...overrides })

describe('window security', () => {
  it('isolates and sandboxes the renderer, with no Node and no <webview>', () => {
    expect(WEB_PREFERENCES).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, webSecurity: true, allowRunningInsecureContent: false })
  })

  it('has a CSP that allows its own files only', () => {
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self';/)
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*|https?:/)
    expect([...ALLOWED_PERMISSIONS]).toEqual(['clipboard-sanitized-write'])
  })

  it('lets only the bundled renderer call the API or be navigated to', () => {
    expect(isRendererFrame(RENDERER, RENDERER)).toBe(true)
    expect(isRendererFrame('file:///opt/Vault Tray/resources/app.asar/out/renderer/index.html#/leases', RENDERER)).toBe(true)
    expect(isRendererFrame('file:///home/dev/evil.html', RENDERER)).toBe(false)
    expect(isRendererFrame('https://example.com/', RENDERER)).toBe(false)
    expect(isRendererFrame(undefined, RENDERER)).toBe(false)
    expect(mayNavigate('https://example.com/', RENDERER)).toBe(false)
    expect(isRendererFrame('http://localhost:5173/index.html', 'http://localhost:5173/')).toBe(true)
    expect(isRendererFrame('http://localhost:5174/', 'http://localhost:5173/')).toBe(false)
  })
})

describe('IPC', () => {
  const calls: unknown[][] = []
  const handlers = Object.fromEntries(INVOKE_CHANNELS.map((channel) => [channel, async (...args: unknown[]) => void calls.push([channel, ...args])])) as unknown as InvokeHandlers
  handlers['sync:records'] = async () => {
    throw new BridgeError('unavailable', 'The sync engine is not running')
  }

  it('refuses an untrusted sender, an unknown channel and wrong arguments before any handler runs', async () => {
    expect(await answerInvoke(handlers, 'sync:now', ['VaultStaticSecret/app/web'], false)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await answerInvoke(handlers, 'shell:exec', [], true)).toMatchObject({ ok: false, error: { code: 'unknown-channel' } })
    expect(await answerInvoke(handlers, 'sync:now', ['../../etc/passwd'], true)).toMatchObject({ ok: false, error: { code: 'bad-arguments' } })
    expect(await answerInvoke(handlers, 'inspect:keys', [{ source: 'secret', namespace: 'app', name: 'web', extra: 1 }], true)).toMatchObject({ ok: false, error: { code: 'bad-arguments' } })
    expect(calls).toEqual([])
  })

  it('answers a good call, and carries a handler error as data', async () => {
    expect(await answerInvoke(handlers, 'sync:now', ['VaultStaticSecret/app/web'], true)).toEqual({ ok: true, data: undefined })
    expect(calls).toEqual([['sync:now', 'VaultStaticSecret/app/web']])
    expect(await answerInvoke(handlers, 'sync:records', [], true)).toEqual({ ok: false, error: { code: 'unavailable', message: 'The sync engine is not running' } })
  })
})

describe('the tray', () => {
  it('shows the worst state, with its reason', () => {
    const base = { health: healthy, records: [record('web', 'synced')], leases: [lease()], now }
    expect(trayState(base)).toEqual({ state: 'ok', reason: '1 resources synced' })
    expect(trayState({ ...base, records: [record('web', 'pending')] }).state).toBe('syncing')
    expect(trayState({ ...base, leases: [lease({ maxExpiresAt: now + 60_000 })] })).toEqual({ state: 'warning', reason: '1 lease will end for good soon (VaultDynamicSecret app/db)' })
    expect(trayState({ ...base, records: [record('web', 'failing'), record('api', 'pending')] })).toEqual({ state: 'error', reason: '1 resource not synced (VaultStaticSecret/app/web)' })
    expect(trayState({ ...base, health: { ...healthy, vault: { ...healthy.vault, sealed: true } as HealthReport['vault'] }, records: [record('web', 'failing')] }).state).toBe('sealed')
    expect(trayState({ ...base, health: { ...healthy, vault: { address: 'http://127.0.0.1:8200', reachable: false, error: 'refused' } } }).state).toBe('error')
  })

  it('offers the context switch, pause, the proxy export, open and quit', () => {
    const menu = trayMenu({ reason: 'all well', vaultAddress: 'http://127.0.0.1:8200', context: 'lab', contexts: ['lab', 'prod'], syncRunning: true, syncPaused: false, proxyAddress: 'http://127.0.0.1:8100' })
    const labels = menu.map((item) => ('label' in item ? item.label : '—'))
    expect(labels).toEqual(['all well', '—', 'Vault: http://127.0.0.1:8200', 'Kube-context: lab', 'Pause sync', 'Copy export VAULT_ADDR=http://127.0.0.1:8100', '—', 'Open Vault Tray', 'Quit'])
    const contexts = menu[3]!
    expect(contexts.type === 'submenu' && contexts.items).toEqual([
      { type: 'radio', label: 'lab', checked: true, command: { kind: 'switch-context', context: 'lab' } },
      { type: 'radio', label: 'prod', checked: false, command: { kind: 'switch-context', context: 'prod' } },
    ])
    const paused = trayMenu({ reason: '', vaultAddress: '', context: undefined, contexts: [], syncRunning: true, syncPaused: true, proxyAddress: undefined })
    expect(paused.map((item) => ('label' in item ? item.label : '—'))).toContain('Resume sync')
    expect(paused.find((item) => 'label' in item && item.label === 'Proxy not running')).toMatchObject({ enabled: false })
  })
})

describe('notifications', () => {
  const state = (overrides: Partial<WatchedState>): WatchedState => ({ health: healthy, records: [record('web', 'synced')], leases: [lease()], now, ...overrides })

  it('tell once when a resource starts failing, a lease will soon end for good, or Vault is sealed', () => {
    const before = state({})
    const after = state({ records: [{ ...record('web', 'failing'), diagnosis: { cause: 'The policy does not allow reading kv/data/web.', fix: 'Add read.', evidence: [] } }], leases: [lease({ maxExpiresAt: now + 60_000 })], health: { ...healthy, vault: { ...healthy.vault, sealed: true } as HealthReport['vault'] } })
    expect(notificationsFor(before, after, true).map((notice) => notice.title)).toEqual(['Vault is sealed', 'VaultStaticSecret app/web is not synced', 'A lease will end for good soon'])
    expect(notificationsFor(after, after, true)).toEqual([])
    expect(notificationsFor(before, after, false)).toEqual([])
  })
})

describe('the package', () => {
  const builder = load(readFileSync(join(import.meta.dirname, '../../electron-builder.yml'), 'utf8')) as Record<string, { target: string[] } & Record<string, boolean>>

  it('flips the fuses that close the signed app to Node options, inspection and loose files', () => {
    expect(builder.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    })
  })

  it('builds AppImage and deb, dmg and nsis', () => {
    expect([builder.linux!.target, builder.mac!.target, builder.win!.target]).toEqual([['AppImage', 'deb'], ['dmg'], ['nsis']])
  })
})
