// What the Vault layer says when Vault cannot serve: refused, silent, sealed, or the token is gone.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VaultClient, VaultError } from '../../main/engine/vault/client.ts'
import { readSealStatus, readVaultHealth } from '../../main/engine/vault/health.ts'
import { KvV2 } from '../../main/engine/vault/kv.ts'
import { freePort } from '../lab/process.ts'
import { startOpenBao, startVault } from '../lab/servers/openbao.ts'
import { on, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const { tokenWithPolicy, vaultClient } = on(server)
  describe('an unreachable Vault', () => {
    it('is retried, then reported with what to do', async () => {
      const address = `http://127.0.0.1:${await freePort()}`
      const client = new VaultClient({ address, skipVerify: false }, { maxRetries: 2, backoffMs: 20 })
      const error = await client.request({ method: 'GET', path: 'secret/data/x', token: 'irrelevant' }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(VaultError)
      expect((error as VaultError).status).toBe(0)
      expect((error as Error).message).toBe(`Vault at ${address} refused the connection: nothing listens there. Start Vault, or set VAULT_ADDR to its address.`)
    })

    it('that accepts connections but never answers fails within the time limit instead of hanging', async () => {
      const sockets: Socket[] = []
      const silent = createServer((socket) => sockets.push(socket)) // reads nothing, answers nothing
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
      const address = `http://127.0.0.1:${(silent.address() as { port: number }).port}`
      try {
        const client = new VaultClient({ address, skipVerify: false }, { timeoutMs: 300, maxRetries: 1, backoffMs: 10 })
        const started = performance.now()
        await expect(client.request({ method: 'GET', path: 'sys/health' })).rejects.toThrow(`Vault at ${address} did not answer (no answer within 300 ms)`)
        expect(performance.now() - started).toBeLessThan(3_000)
      } finally {
        sockets.forEach((socket) => socket.destroy())
        silent.close()
      }
    })
  })

  describe('a sealed Vault', () => {
    let runDir: string
    let own: Awaited<ReturnType<typeof startOpenBao>>
    beforeAll(async () => {
      runDir = mkdtempSync(join(tmpdir(), 'vault-tray-sealed-'))
      // a server of its own to seal, of the same kind
      own = await (server.name === 'OpenBao' ? startOpenBao : startVault)(server.cli, runDir, 30_000, new AbortController().signal)
    })
    afterAll(async () => {
      await own.server.stop()
      rmSync(runDir, { recursive: true, force: true })
    })

    it('is reported as sealed, says to unseal it, and serves the same data again once unsealed', async () => {
      const { address, rootToken, unsealKey } = own.info
      const client = new VaultClient({ address, skipVerify: false }, { backoffMs: 10 })
      const kv = new KvV2(client, 'secret')
      await kv.write('app', rootToken, { password: 'kept' })

      await client.request({ method: 'PUT', path: 'sys/seal', token: rootToken })
      expect(await readVaultHealth({ address, skipVerify: false })).toMatchObject({ reachable: true, sealed: true, initialized: true })
      expect(await readSealStatus(client)).toMatchObject({ sealed: true, initialized: true, t: 1, n: 1, progress: 0 })
      const error = await kv.read('app', rootToken).catch((e: unknown) => e)
      expect((error as VaultError).isSealed).toBe(true)
      expect((error as Error).message).toMatch(/failed \(503\): .*sealed.*\. Vault is sealed: unseal it \(`vault operator unseal`\), then try again\.$/)

      const unsealed = await client.request<{ sealed: boolean }>({ method: 'PUT', path: 'sys/unseal', body: { key: unsealKey } })
      expect(unsealed.sealed).toBe(false)
      expect(await readSealStatus(client)).toMatchObject({ sealed: false })
      expect((await kv.read('app', rootToken)).data).toEqual({ password: 'kept' })
    })
  })

  describe('a token that was revoked', () => {
    it('gets a 403 that says to log in again, and the message carries no token', async () => {
      const client = vaultClient()
      const kv = new KvV2(client, 'secret')
      const path = unique('revoked')
      await kv.write(path, server.rootToken, { a: 1 })
      const token = await tokenWithPolicy(unique('reader'), `path "secret/data/${path}" { capabilities = ["read"] }`)
      expect((await kv.read(path, token)).data).toEqual({ a: 1 })

      await server.call('POST', 'auth/token/revoke', { token })
      const error = (await kv.read(path, token).catch((e: unknown) => e)) as VaultError
      expect(error.isPermissionDenied).toBe(true)
      expect(error.message).toContain('has expired or been revoked: check its policies, or log in again')
      expect(error.message).not.toContain(token)
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
