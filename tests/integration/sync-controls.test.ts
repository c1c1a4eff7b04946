// Control per resource (pause, sync once, sync now) and rollout restarts that coalesce and stop looping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { resourceKey, type SyncEngine } from '../../main/engine/sync/sync-engine.ts'
import { unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'
import { adminApi, apply, createNamespace, ensureCrds, eventsFor, eventually, kubeAuthOn, readSecret, startEngine } from './sync-helpers.ts'

function suite(server: VaultServer): void {
  const { kubernetesAuth, kubernetesRole } = kubeAuthOn(server)
  let engine: SyncEngine
  let namespace: string
  const kv = unique('kv')

  const staticSecret = (name: string, path: string, targets: { kind: string; name: string }[] = []) => ({
    apiVersion: API_VERSION,
    kind: 'VaultStaticSecret',
    metadata: { name, namespace },
    spec: { type: 'kv-v2', mount: kv, path, vaultAuthRef: 'auth', destination: { name, create: true }, rolloutRestartTargets: targets },
  })

  const deployment = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
  })

  const write = (path: string, password: string) => server.call('POST', `${kv}/data/${path}`, { data: { password } })
  const generationOf = async (name: string) => (await adminApi().get<{ metadata: { generation: number } }>(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`)).metadata.generation

  beforeAll(async () => {
    await ensureCrds()
    const mount = await kubernetesAuth()
    namespace = await createNamespace(unique('controls'), 'app')
    await server.call('POST', `sys/mounts/${kv}`, { type: 'kv', options: { version: '2' } })
    await server.call('PUT', `sys/policies/acl/${kv}`, { policy: `path "${kv}/data/*" { capabilities = ["read"] }` })
    await kubernetesRole(mount, 'app', 'app', namespace, [kv])
    await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: server.address } })
    await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'auth', namespace }, spec: { vaultConnectionRef: 'conn', method: 'kubernetes', mount, kubernetes: { role: 'app', serviceAccount: 'app', audiences: ['vault'] } } })
    engine = (await startEngine([namespace], { rollout: { coalesceMs: 1_500, maxRestarts: 2, loopWindowMs: 60_000 } })).engine
  })

  afterAll(async () => {
    await engine?.stop()
  })

  describe('control per resource', () => {
    it('pause leaves the Secret alone until resumed; sync now then brings it up to date', async () => {
      await write('paused', 'one')
      await apply(staticSecret('paused', 'paused'))
      await eventually(async () => (await readSecret(namespace, 'paused'))?.password === 'one', 'the first sync')
      const key = resourceKey('VaultStaticSecret', namespace, 'paused')
      engine.setPaused(key, true)
      await write('paused', 'two')
      engine.syncNow(key)
      await engine.whenIdle()
      expect(engine.record(key)?.state).toBe('paused')
      expect((await readSecret(namespace, 'paused'))?.password).toBe('one')
      engine.setPaused(key, false)
      await eventually(async () => (await readSecret(namespace, 'paused'))?.password === 'two', 'the sync after resume')
    })

    it('sync once writes the Secret the first time and never again', async () => {
      const key = resourceKey('VaultStaticSecret', namespace, 'once')
      engine.setSyncOnce(key, true)
      await write('once', 'first')
      await apply(staticSecret('once', 'once'))
      await eventually(async () => (await readSecret(namespace, 'once'))?.password === 'first', 'the first sync')
      await write('once', 'second')
      engine.syncNow(key)
      await eventually(async () => engine.record(key)?.message === 'unchanged', 'a sync that changed nothing')
      expect((await readSecret(namespace, 'once'))?.password).toBe('first')
    })
  })

  describe('rollout restarts', () => {
    it('two rotations within the window restart a shared Deployment once', async () => {
      await apply(deployment('shared'))
      await write('a', 'a1')
      await write('b', 'b1')
      await apply(staticSecret('a', 'a', [{ kind: 'Deployment', name: 'shared' }]))
      await apply(staticSecret('b', 'b', [{ kind: 'Deployment', name: 'shared' }]))
      await eventually(async () => (await readSecret(namespace, 'a')) && (await readSecret(namespace, 'b')), 'both first syncs')
      const before = await generationOf('shared')
      // the first sync restarts nothing
      expect(before).toBe(1)
      await write('a', 'a2')
      await write('b', 'b2')
      engine.syncNow(resourceKey('VaultStaticSecret', namespace, 'a'))
      engine.syncNow(resourceKey('VaultStaticSecret', namespace, 'b'))
      await eventually(async () => (await eventsFor(namespace, 'a')).some((event) => event.reason === 'RolloutRestartTriggered') && (await eventsFor(namespace, 'b')).some((event) => event.reason === 'RolloutRestartTriggered'), 'both to report the restart')
      expect(await generationOf('shared')).toBe(before + 1)
    })

    it('a restart loop is stopped with a Warning', async () => {
      await apply(deployment('looping'))
      await write('loop', 'v0')
      await apply(staticSecret('loop', 'loop', [{ kind: 'Deployment', name: 'looping' }]))
      await eventually(() => readSecret(namespace, 'loop'), 'the first sync')
      const key = resourceKey('VaultStaticSecret', namespace, 'loop')
      for (const version of ['v1', 'v2', 'v3']) {
        await write('loop', version)
        engine.syncNow(key)
        await eventually(async () => (await readSecret(namespace, 'loop'))?.password === version, `rotation to ${version}`)
        await engine.whenIdle()
      }
      expect(await generationOf('looping')).toBe(3) // two restarts allowed, the third refused
      const warning = (await eventsFor(namespace, 'loop')).find((event) => event.reason === 'RolloutRestartLoop')
      expect(warning).toMatchObject({ type: 'Warning', message: expect.stringContaining('was restarted 2 times') })
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
