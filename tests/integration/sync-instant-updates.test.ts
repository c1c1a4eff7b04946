// VSO's `syncConfig.instantUpdates` on each real server: on HashiCorp Vault (with its event stream) a write made in
// Vault reaches the destination Secret through the event, long before `refreshAfter`; on OpenBao (no event stream)
// the condition says so and why, and the engine reads the secret again every few seconds instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import type { SyncEngine } from '../../main/engine/sync/sync-engine.ts'
import { unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'
import { apply, createNamespace, ensureCrds, eventsFor, eventually, kubeAuthOn, readResource, readSecret, startEngine } from './sync-helpers.ts'

function suite(server: VaultServer): void {
  const { kubernetesAuth, kubernetesRole } = kubeAuthOn(server)
  const kv = unique('kv')
  let namespace: string
  let engine: SyncEngine | undefined

  beforeAll(async () => {
    await ensureCrds()
    const mount = await kubernetesAuth()
    namespace = await createNamespace(unique('instant'), 'app')
    await server.call('POST', `sys/mounts/${kv}`, { type: 'kv', options: { version: '2' } })
    // the VaultAuth's token reads the secret and its metadata, and may subscribe to KV events (as VSO's needs)
    const policy = `path "${kv}/data/*" { capabilities = ["read"] }\npath "${kv}/metadata/*" { capabilities = ["read"] }\npath "sys/events/subscribe/*" { capabilities = ["read"] }`
    await server.call('PUT', `sys/policies/acl/${kv}`, { policy })
    await kubernetesRole(mount, 'app', 'app', namespace, [kv])
    await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: server.address } })
    await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'auth', namespace }, spec: { vaultConnectionRef: 'conn', method: 'kubernetes', mount, kubernetes: { role: 'app', serviceAccount: 'app', audiences: ['vault'] } } })
    await server.call('POST', `${kv}/data/app`, { data: { password: 'first' } })
    await apply({
      apiVersion: API_VERSION,
      kind: 'VaultStaticSecret',
      metadata: { name: 'app', namespace },
      spec: { type: 'kv-v2', mount: kv, path: 'app', vaultAuthRef: 'auth', refreshAfter: '1h', syncConfig: { instantUpdates: true }, destination: { name: 'app', create: true } },
    })
    engine = (await startEngine([namespace], { instantPollMs: 2_000 })).engine
    await eventually(async () => (await readSecret(namespace, 'app'))?.password === 'first', 'the first sync')
  })

  afterAll(async () => {
    await engine?.stop()
  })

  const synced = async () => ((await readResource<{ status?: { conditions?: { type: string; message: string }[] } }>('VaultStaticSecret', namespace, 'app')).status?.conditions ?? []).find((condition) => condition.type === 'SecretSynced')?.message

  if (server.name === 'Vault') {
    it('follows Vault events: a write in Vault is in the Secret within seconds, with refreshAfter at an hour', async () => {
      expect(await synced()).toMatch(/, instant updates by Vault events$/)
      expect((await eventsFor(namespace, 'app')).map((event) => event.reason)).toContain('EventWatcherStarted')
      const started = performance.now()
      await server.call('POST', `${kv}/data/app`, { data: { password: 'second' } })
      await eventually(async () => (await readSecret(namespace, 'app'))?.password === 'second', 'the change, through the event', 10_000)
      console.log(`instant update on Vault: ${Math.round(performance.now() - started)} ms from the write to the Secret`)
    })
  } else {
    it('says that OpenBao has no event stream, and reads the secret every 2 s instead', async () => {
      expect(await synced()).toMatch(/, instant updates by reading every 2s \(.*has no event stream \(HTTP 404 from sys\/events\/subscribe\)/)
      await server.call('POST', `${kv}/data/app`, { data: { password: 'second' } })
      await eventually(async () => (await readSecret(namespace, 'app'))?.password === 'second', 'the change, by reading again', 10_000)
    })
  }
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
