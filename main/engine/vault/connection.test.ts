import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_VAULT_ADDR, defaultVaultToken, vaultSettingsFromEnv } from './connection.ts'

describe('vaultSettingsFromEnv', () => {
  it('uses the vault CLI default address when VAULT_ADDR is unset', () => {
    expect(vaultSettingsFromEnv({})).toEqual({ address: DEFAULT_VAULT_ADDR, skipVerify: false })
  })

  it('reads address, CA file, skip-verify, server name and namespace', () => {
    const ca = join(mkdtempSync(join(tmpdir(), 'vault-ca-')), 'ca.pem')
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    const settings = vaultSettingsFromEnv({
      VAULT_ADDR: 'https://vault.example.test:8200/',
      VAULT_CACERT: ca,
      VAULT_SKIP_VERIFY: 'true',
      VAULT_TLS_SERVER_NAME: 'vault.internal',
      VAULT_NAMESPACE: 'team-a',
    })
    expect(settings).toMatchObject({ address: 'https://vault.example.test:8200', caCertPath: ca, skipVerify: true, tlsServerName: 'vault.internal', namespace: 'team-a' })
    expect(settings.caCert).toContain('BEGIN CERTIFICATE')
  })

  it.each([['1', true], ['t', true], ['TRUE', true], ['0', false], ['false', false], ['yes', false], ['', false]])('VAULT_SKIP_VERIFY=%j means %s, as Go parses booleans', (value, expected) => {
    expect(vaultSettingsFromEnv({ VAULT_SKIP_VERIFY: value }).skipVerify).toBe(expected)
  })

  it('names the file and what to do when VAULT_CACERT cannot be read', () => {
    expect(() => vaultSettingsFromEnv({ VAULT_CACERT: '/nonexistent/ca.pem' })).toThrow(/VAULT_CACERT=\/nonexistent\/ca\.pem cannot be read .*PEM file/)
  })
})

describe('defaultVaultToken', () => {
  const home = () => mkdtempSync(join(tmpdir(), 'vault-home-'))

  it('prefers VAULT_TOKEN, then ~/.vault-token, as the vault CLI does', async () => {
    const dir = home()
    writeFileSync(join(dir, '.vault-token'), 'from-file\n')
    expect(await defaultVaultToken({ HOME: dir, VAULT_TOKEN: 'from-env' })).toEqual({ token: 'from-env', source: 'VAULT_TOKEN' })
    expect(await defaultVaultToken({ HOME: dir })).toEqual({ token: 'from-file', source: '~/.vault-token' })
    expect(await defaultVaultToken({ HOME: home() })).toBeUndefined()
  })

  it('asks the token helper named in ~/.vault instead of the file', async () => {
    const dir = home()
    writeFileSync(join(dir, '.vault-token'), 'stale-file-token')
    const helper = join(dir, 'helper.sh')
    writeFileSync(helper, '#!/bin/sh\n[ "$1" = get ] && printf "from-helper"\n', { mode: 0o755 })
    writeFileSync(join(dir, '.vault'), `token_helper = "${helper}"\n`)
    expect(await defaultVaultToken({ HOME: dir, PATH: process.env.PATH })).toEqual({ token: 'from-helper', source: 'token helper' })
  })
})
