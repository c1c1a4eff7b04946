import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultSettings, SettingsStore, validateSettings, type Settings } from './settings.ts'

const good: Settings = { kubeContext: 'lab', vaultAddress: 'https://vault.example.com:8200', vaultAuth: { method: 'token' }, proxyPort: 8100, cacheDir: '/home/dev/.cache/vault-tray', notifications: true, theme: 'dark', clipboardClearSeconds: 20 }

describe('validateSettings', () => {
  it('accepts good settings and drops a trailing slash of the address', () => {
    expect(validateSettings({ ...good, vaultAddress: 'http://127.0.0.1:8200/' }, ['lab']).settings?.vaultAddress).toBe('http://127.0.0.1:8200')
    expect(validateSettings({ ...good, proxyPort: 0, vaultAuth: { method: 'kubernetes', mount: 'kubernetes', role: 'dev' } }, ['lab']).errors).toBeUndefined()
  })

  it('names every wrong field, in plain words', () => {
    const { errors } = validateSettings({ ...good, kubeContext: 'prod', vaultAddress: 'vault:8200/v1', proxyPort: 80, cacheDir: 'cache', theme: 'blue', clipboardClearSeconds: 0, extra: 1 }, ['lab'])
    expect(Object.keys(errors!).sort()).toEqual(['cacheDir', 'clipboardClearSeconds', 'extra', 'kubeContext', 'proxyPort', 'theme', 'vaultAddress'])
    expect(errors!.kubeContext).toContain('lab')
    expect(errors!.proxyPort).toMatch(/1024 to 65535/)
  })

  it('takes the proxy\'s transit key as MOUNT/KEY, or nothing (in memory)', () => {
    expect(validateSettings({ ...good, proxyPersist: ' transit/vault-tray-client-cache ' }, ['lab']).settings?.proxyPersist).toBe('transit/vault-tray-client-cache')
    expect(validateSettings({ ...good, proxyPersist: '' }, ['lab']).settings).not.toHaveProperty('proxyPersist')
    expect(validateSettings({ ...good, proxyPersist: 'just-a-key' }, ['lab']).errors?.proxyPersist).toMatch(/^Enter the transit mount and key as MOUNT\/KEY/)
  })

  it('asks for the fields of the chosen auth method', () => {
    expect(Object.keys(validateSettings({ ...good, vaultAuth: { method: 'approle', mount: 'approle', roleId: ' ' } }, ['lab']).errors!)).toEqual(['vaultAuth.roleId'])
    expect(Object.keys(validateSettings({ ...good, vaultAuth: { method: 'kubernetes', mount: '', role: 'x' } }, ['lab']).errors!)).toEqual(['vaultAuth.mount'])
  })
})

describe('SettingsStore', () => {
  const store = (file: string) => new SettingsStore(file, () => defaultSettings({ VAULT_ADDR: 'http://127.0.0.1:8200' }, 'lab', '/tmp/cache'), () => ['lab', 'other'])

  it('starts from the environment, saves a 0600 file, and writes nothing when a field is wrong', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'settings-')), 'vault-tray', 'settings.json')
    expect(store(file).load()).toEqual({ settings: expect.objectContaining({ vaultAddress: 'http://127.0.0.1:8200', kubeContext: 'lab', theme: 'system' }) })
    expect(store(file).save({ ...good, kubeContext: 'other' })).toMatchObject({ ok: true })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const written = readFileSync(file, 'utf8')
    expect(store(file).save({ ...good, proxyPort: 99_999 })).toMatchObject({ ok: false, errors: { proxyPort: expect.any(String) } })
    expect(readFileSync(file, 'utf8')).toBe(written)
    expect(store(file).load().settings.kubeContext).toBe('other')
  })

  it('reports a corrupt file and keeps it, using the defaults meanwhile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'settings-'))
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{"theme": "dark",')
    const loaded = store(file).load()
    expect(loaded.problem).toMatch(/not valid JSON.*Fix or remove it/)
    expect(loaded.settings.theme).toBe('system')
    expect(store(file).save(good)).toMatchObject({ ok: false })
    expect(readFileSync(file, 'utf8')).toBe('{"theme": "dark",')
  })
})
