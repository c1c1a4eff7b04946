// Leases: each VaultDynamicSecret's lease, and the engine's own token, as Vault reports them now (sys/leases/lookup,
// token lookup-self), with when the engine renews next, the max TTL where Vault tells it, and the workloads the
// next rotation restarts. Renew and revoke act in Vault with the user's token; a revoked lease is replaced at once.
import { BridgeError, type InvokeHandlers, type LeaseView } from '../../contract/index.ts'
import type { VaultDynamicSecret } from '../../engine/sync/api.ts'
import { resourceKey } from '../../engine/sync/sync-engine.ts'
import { trimSlashes } from '../../engine/vault/paths.ts'
import { maskId } from '../../engine/vault/renewal.ts'
import type { BridgeContext, BridgePart } from './context.ts'
import { userVault, type UserVault } from './vault-access.ts'

const TOKEN_HANDLE = 'token'

interface LeaseLookup {
  data: { id: string; issue_time: string; expire_time: string | null; ttl: number; renewable: boolean }
}

interface TokenLookup {
  data: { display_name: string; policies: string[]; ttl: number; renewable: boolean; issue_time?: string; creation_time: number; expire_time: string | null; explicit_max_ttl: number }
}

/** The max TTL Vault applies to a lease of this mount: the mount's own, read with sys/mounts/<mount>/tune. */
async function mountMaxTtl(vault: UserVault, token: string, leasePath: string): Promise<number | undefined> {
  const mount = trimSlashes(leasePath).split('/')[0]
  try {
    const { data } = await vault.client().request<{ data: { max_lease_ttl: number } }>({ method: 'GET', path: `sys/mounts/${mount}/tune`, token })
    return data.max_lease_ttl > 0 ? data.max_lease_ttl : undefined
  } catch {
    return undefined // the user's token may not read the mount's tuning: the distance to the max TTL stays unknown
  }
}

export function leasesPart(context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'leases:list' | 'leases:renew' | 'leases:revoke'>> {
  const { engine } = context
  const vault = userVault(context)

  const dynamicSecrets = (): VaultDynamicSecret[] => (engine.sync?.resources<VaultDynamicSecret>('VaultDynamicSecret') ?? []).filter((resource) => resource.status?.secretLease?.id)

  async function syncLease(resource: VaultDynamicSecret, token: string | undefined): Promise<LeaseView> {
    const { namespace, name } = resource.metadata
    const key = resourceKey('VaultDynamicSecret', namespace, name)
    const lease = resource.status!.secretLease
    const path = lease.id.slice(0, lease.id.lastIndexOf('/'))
    const known = resource.status!.lastRenewalTime * 1000
    let view: LeaseView = {
      handle: key,
      source: 'sync',
      owner: `VaultDynamicSecret ${namespace}/${name}`,
      maskedId: maskId(lease.id),
      path,
      renewable: lease.renewable,
      issuedAt: known,
      expiresAt: known + lease.duration * 1000,
      nextRenewalAt: engine.sync?.record(key)?.nextSyncAt,
      restarts: (resource.spec.rolloutRestartTargets ?? []).map((target) => `${target.kind}/${target.name}`),
    }
    if (!token) return view
    try {
      const { data } = await vault.client().request<LeaseLookup>({ method: 'PUT', path: 'sys/leases/lookup', token, body: { lease_id: lease.id } })
      const issuedAt = Date.parse(data.issue_time)
      view = { ...view, issuedAt, renewable: data.renewable, expiresAt: data.expire_time ? Date.parse(data.expire_time) : Date.now() + data.ttl * 1000 }
      const max = await mountMaxTtl(vault, token, path)
      if (max) view.maxExpiresAt = issuedAt + max * 1000
    } catch {
      // the status's own figures stand when the user's token may not look the lease up
    }
    return view
  }

  async function tokenLease(found: { token: string; source: string }): Promise<LeaseView | undefined> {
    try {
      const { data } = await vault.client().request<TokenLookup>({ method: 'GET', path: 'auth/token/lookup-self', token: found.token })
      if (data.ttl === 0) return undefined // a root token never expires: nothing to watch
      const issuedAt = data.issue_time ? Date.parse(data.issue_time) : data.creation_time * 1000
      return {
        handle: TOKEN_HANDLE,
        source: 'token',
        owner: `${data.display_name} (${found.source})`,
        maskedId: 'token',
        path: 'auth/token',
        renewable: data.renewable,
        issuedAt,
        expiresAt: data.expire_time ? Date.parse(data.expire_time) : Date.now() + data.ttl * 1000,
        maxExpiresAt: data.explicit_max_ttl > 0 ? issuedAt + data.explicit_max_ttl * 1000 : undefined,
        restarts: [],
      }
    } catch {
      return undefined
    }
  }

  function dynamicSecret(handle: string): VaultDynamicSecret {
    const found = dynamicSecrets().find((resource) => resourceKey('VaultDynamicSecret', resource.metadata.namespace, resource.metadata.name) === handle)
    if (!found) throw new BridgeError('not-found', `No lease is held for ${handle}: it may have been replaced already; the list is refreshed.`)
    return found
  }

  return {
    handlers: {
      'leases:list': async () => {
        const found = await vault.found()
        const leases = await Promise.all(dynamicSecrets().map((resource) => syncLease(resource, found?.token)))
        const token = found && (await tokenLease(found))
        return token ? [token, ...leases] : leases
      },
      'leases:renew': async (handle) => {
        const token = await vault.token()
        if (handle === TOKEN_HANDLE) {
          await vault.client().request({ method: 'PUT', path: 'auth/token/renew-self', token, body: {} })
          return
        }
        const lease = dynamicSecret(handle).status!.secretLease
        await vault.client().request({ method: 'PUT', path: 'sys/leases/renew', token, body: { lease_id: lease.id, increment: lease.duration } })
      },
      'leases:revoke': async (handle) => {
        if (handle === TOKEN_HANDLE) throw new BridgeError('forbidden', 'The engine logs in with this token: revoking it would cut the engine (and your vault CLI) off. Revoke it from the CLI if you mean to: vault token revoke -self.')
        const token = await vault.token()
        const lease = dynamicSecret(handle).status!.secretLease
        await vault.client().request({ method: 'PUT', path: 'sys/leases/revoke', token, body: { lease_id: lease.id } })
        // as VSO after losing a lease: new credentials at once (and the restarts they bring)
        engine.sync?.syncNow(handle)
      },
    },
  }
}
