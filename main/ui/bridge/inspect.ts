// Safe inspection of a Kubernetes Secret or a Vault KV path: key names, sizes and a binary flag by default; one
// value only on an explicit reveal; for KV v2, which keys each version changed, found by comparing digests here.
import { randomBytes } from 'node:crypto'
import { BridgeError, type InspectResult, type InspectTarget, type InvokeHandlers, type KvHistory } from '../../contract/index.ts'
import { VaultError } from '../../engine/vault/client.ts'
import { KvV1, KvV2 } from '../../engine/vault/kv.ts'
import { trimSlashes } from '../../engine/vault/paths.ts'
import { diffKeys, digestValues, kvValueBytes, maskKeys, revealBytes } from '../inspect-values.ts'
import { ClipboardKeeper } from '../clipboard.ts'
import type { BridgeContext, BridgePart, Push } from './context.ts'
import { kubeAccess, kubeFailure } from './kube-access.ts'
import { userVault } from './vault-access.ts'

/** How many of the newest KV versions the history compares (Vault keeps 10 by default). */
const HISTORY_VERSIONS = 20

interface Read {
  values: Map<string, Buffer>
  detail: string
  version?: InspectResult['version']
}

export function inspectPart(context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'inspect:keys' | 'inspect:reveal' | 'inspect:history' | 'inspect:copy'>> {
  const kube = kubeAccess(context)
  const user = userVault(context)
  const vault = user.client
  const token = user.token

  /** The KV version of a mount, as the vault CLI finds it (sys/internal/ui/mounts, readable by every token). */
  async function kvVersion(mount: string, token: string): Promise<1 | 2> {
    const { data } = await vault().request<{ data: { type: string; options: { version?: string } | null } }>({ method: 'GET', path: `sys/internal/ui/mounts/${trimSlashes(mount)}`, token })
    if (data.type !== 'kv' && data.type !== 'generic') throw new BridgeError('bad-arguments', `${mount} is a ${data.type} mount, not a KV secrets engine: pick a KV mount.`)
    return data.options?.version === '2' ? 2 : 1
  }

  async function readSecret(namespace: string, name: string): Promise<Read> {
    const secret = await kube().get<{ type?: string; data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${name}`)
    return { values: new Map(Object.entries(secret.data ?? {}).map(([key, base64]) => [key, Buffer.from(base64, 'base64')])), detail: secret.type ?? 'Opaque' }
  }

  async function readKv(mount: string, path: string, version: number | undefined): Promise<Read> {
    const auth = await token()
    if ((await kvVersion(mount, auth)) === 1) {
      if (version !== undefined) throw new BridgeError('bad-arguments', `${mount} is KV v1, which keeps no versions: leave the version out.`)
      const data = await new KvV1(vault(), mount).read(path, auth)
      return { values: kvValues(data), detail: 'KV v1' }
    }
    const kv = new KvV2(vault(), mount)
    const secret = await kv.read(path, auth, version)
    const { current_version: current } = await kv.metadata(path, auth)
    const shown = secret.metadata.version
    const state = secret.metadata.destroyed ? ' (destroyed)' : secret.data === null ? ' (deleted)' : ''
    return { values: kvValues(secret.data ?? {}), detail: `KV v2, version ${shown} of ${current}${state}`, version: { shown, current } }
  }

  const read = (target: InspectTarget): Promise<Read> =>
    (target.source === 'secret' ? readSecret(target.namespace, target.name) : readKv(target.mount, target.path, target.version)).catch((error: unknown) => Promise.reject(failure(error)))

  async function history(mount: string, path: string): Promise<KvHistory> {
    const auth = await token()
    if ((await kvVersion(mount, auth)) === 1) throw new BridgeError('bad-arguments', `${mount} is KV v1, which keeps no versions: history needs KV v2.`)
    const kv = new KvV2(vault(), mount)
    const metadata = await kv.metadata(path, auth)
    const now = Date.now()
    const versions = Object.entries(metadata.versions)
      .map(([number, meta]) => ({ version: Number(number), createdAt: meta.created_time, destroyed: meta.destroyed, deleted: meta.deletion_time !== '' && Date.parse(meta.deletion_time) <= now }))
      .sort((a, b) => a.version - b.version)
      .slice(-HISTORY_VERSIONS)
    // a key of its own per comparison: digests are comparable within this answer and nowhere else
    const hmacKey = randomBytes(32)
    const digests = await Promise.all(
      versions.map(async ({ version, deleted, destroyed }) => {
        if (deleted || destroyed) return undefined
        const secret = await kv.read(path, auth, version).catch((error: unknown) => (error instanceof VaultError && error.status === 404 ? undefined : Promise.reject(error)))
        return secret?.data ? digestValues(kvValues(secret.data), hmacKey) : undefined
      }),
    )
    let earlier: { version: number; digests: Map<string, Buffer> } | undefined
    const entries: KvHistory['versions'] = versions.map((entry, index) => {
      const mine = digests[index]
      if (!mine) return { ...entry, added: [], removed: [], changed: [] }
      const diff = { ...entry, comparedWith: earlier?.version, ...diffKeys(earlier?.digests, mine) }
      earlier = { version: entry.version, digests: mine }
      return diff
    })
    return { current: metadata.current_version, versions: entries.reverse() }
  }

  async function valueOf(target: InspectTarget, key: string): Promise<Buffer> {
    const { values } = await read(target)
    const bytes = values.get(key)
    if (!bytes) throw new BridgeError('not-found', `${describe(target)} has no key "${key}" (any more): reload the keys.`)
    return bytes
  }

  const pushes = new Set<Push>()
  const keeper = context.clipboard && new ClipboardKeeper(context.clipboard, () => pushes.forEach((push) => push('clipboard:cleared', { kind: 'clipboard' })))

  return {
    subscribe(push) {
      pushes.add(push)
      return () => pushes.delete(push)
    },
    async stop() {
      await keeper?.flush()
    },
    handlers: {
      'inspect:keys': async (target) => {
        const { values, detail, version } = await read(target)
        return { target, keys: maskKeys(values), detail, ...(version && { version }) }
      },
      'inspect:reveal': async (target, key) => revealBytes(key, await valueOf(target, key)),
      'inspect:copy': async (target, key, seconds) => {
        if (!keeper) throw new BridgeError('unavailable', 'This window copies with its own clipboard access.')
        const value = revealBytes(key, await valueOf(target, key), Infinity) // all of it: it never reaches the window
        await keeper.copy(value.value, seconds)
        return { key, encoding: value.encoding, bytes: value.bytes }
      },
      'inspect:history': (mount, path) => history(mount, path).catch((error: unknown) => Promise.reject(failure(error))),
    },
  }
}

function kvValues(data: Record<string, unknown>): Map<string, Buffer> {
  return new Map(Object.entries(data).map(([key, value]) => [key, kvValueBytes(value)]))
}

function describe(target: InspectTarget): string {
  return target.source === 'secret' ? `Secret ${target.namespace}/${target.name}` : `KV ${target.mount}/${target.path}${target.version ? ` version ${target.version}` : ''}`
}

/** Vault and apiserver failures with a code the window can act on; their messages name the call, never a value. */
function failure(error: unknown): unknown {
  if (!(error instanceof VaultError)) return kubeFailure(error)
  const code = error.status === 404 ? 'not-found' : error.status === 403 ? 'forbidden' : error.status === 0 || error.status === 503 ? 'unavailable' : 'failed'
  return new BridgeError(code, error.message)
}
