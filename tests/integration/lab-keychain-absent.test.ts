// Where the lab keeps its root token and unseal key on a machine with no Secret Service. A file of its own: the
// keyring library keeps its D-Bus connection (or its failure) for the life of the process.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeychainRequiredError, LabSecretStore } from '../../main/engine/lab/secrets.ts'
import { LabPaths } from '../../main/engine/lab/state.ts'

const dir = mkdtempSync(join(tmpdir(), 'vault-tray-lab-no-keychain-'))
beforeAll(() => {
  process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(dir, 'no-such-bus')}`
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const material = { rootToken: 's.not-a-real-token', unsealKey: 'not-a-real-key', postgresPassword: 'not-a-real-password' }

describe('the lab without an OS keychain', () => {
  it('keeps its secrets in a 0600 file in the lab directory, and says so loudly', async () => {
    const paths = new LabPaths(dir)
    const store = new LabSecretStore(paths)
    expect(await store.load()).toEqual({})
    await store.save(material)

    expect(store.where).toBe('file')
    expect(statSync(paths.secretsFile).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(paths.secretsFile, 'utf8'))).toEqual(material)
    expect(store.warning).toMatch(/^The OS keychain cannot be used \(.+\)\. .* The lab's root token, unseal key and PostgreSQL password are kept in .*secrets\.json \(mode 0600\) instead: whoever can read that file controls the lab's Vault\. Once a keychain works, `vault-tray lab up` moves them there; --require-keychain refuses to use the file\.$/)
    expect(store.warning).not.toContain(material.rootToken)

    const again = new LabSecretStore(paths)
    expect(await again.load()).toEqual(material)
    expect(again.where).toBe('file')
  })

  it('refuses instead with --require-keychain, writing nothing', async () => {
    const paths = new LabPaths(join(dir, 'strict'))
    const store = new LabSecretStore(paths, undefined, true)
    const error = await store.save(material).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeychainRequiredError)
    expect((error as Error).message).toMatch(/only there \(--require-keychain\), so it stopped before creating them\. Start or unlock a keychain/)
    expect(existsSync(paths.secretsFile)).toBe(false)
  })

  it('`down` removes the file, and says the keychain could not be asked', async () => {
    const paths = new LabPaths(dir)
    const cleared = await new LabSecretStore(paths).clear()
    expect(cleared.file).toBe(true)
    expect(cleared.keychain).toMatch(/^The OS keychain cannot be used .* delete the entry ".*" of service vault-tray-lab with your keychain app\.$/)
    expect(existsSync(paths.secretsFile)).toBe(false)
  })
})
