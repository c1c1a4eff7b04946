// "Why not synced?": one plain cause and one fix for a failing resource, derived from what the engine saw.
// The evidence (the failing call, Vault's own words) goes alongside, never a secret value.
import type { Diagnosis } from '../../contract/index.ts'
import { KubeError } from '../kube/api.ts'
import { VaultError } from '../vault/client.ts'
import type { SecretResource, VaultStaticSecret } from './api.ts'
import { DestinationError } from './destination.ts'
import type { SyncFailure } from './failure.ts'
import { FieldError } from './refs.ts'
import { TransformationError } from './transformation.ts'
import type { VaultAccess } from './vault-clients.ts'
import { trimSlashes } from '../vault/paths.ts'


export async function diagnose(resource: SecretResource, failure: SyncFailure, access: VaultAccess | undefined): Promise<Diagnosis> {
  const error = failure.error
  const evidence = [`${failure.reason}: ${failure.message}`]
  if (error instanceof FieldError) return { cause: `The ${error.field} field is not usable: ${error.message.slice(error.field.length + 2)}`, fix: `Correct ${error.field} in ${resource.kind} ${resource.metadata.namespace}/${resource.metadata.name}.`, evidence }
  if (error instanceof TransformationError) return { cause: `A template or filter in spec.destination.transformation fails: ${error.message}`, fix: 'Correct the template; Dry run shows what it renders before it is applied.', evidence }
  if (error instanceof DestinationError) return { cause: error.message, fix: 'Change destination.name or destination.overwrite, or remove the Secret that is in the way.', evidence }
  if (error instanceof KubeError && error.status === 0) return { cause: 'The cluster\'s apiserver cannot be reached.', fix: 'Check the kube-context; syncing resumes when the apiserver answers again.', evidence }
  if (error instanceof Error && /ServiceAccount .* does not exist/.test(error.message)) {
    return { cause: error.message, fix: `Create the ServiceAccount in namespace ${resource.metadata.namespace}, or name an existing one in the VaultAuth.`, evidence }
  }
  if (!(error instanceof VaultError)) return { cause: failure.message, fix: 'See the resource\'s events for details.', evidence }

  const said = error.errors.join('; ')
  if (error.isSealed) return { cause: 'Vault is sealed.', fix: 'Unseal it (vault operator unseal); syncing resumes on its own.', evidence }
  if (error.status === 0) return { cause: `Vault cannot be reached from this machine (${error.errors[0]}).`, fix: 'Start Vault or correct the VaultConnection address; a cluster-internal address needs a port-forward or an address mapped in settings.', evidence }
  if (/\/login$/.test(error.path)) return diagnoseLogin(error, said, access?.method, evidence)
  if (error.isPermissionDenied) return diagnosePermission(resource, error, access, evidence)
  if (error.status === 404) return { cause: `Nothing at ${error.path} in Vault.`, fix: 'Check spec.mount and spec.path, and that the secret was written.', evidence }
  return { cause: `Vault answered ${error.status}: ${said || 'no detail'}.`, fix: 'See the resource\'s events for details.', evidence }
}

function diagnoseLogin(error: VaultError, said: string, method: string | undefined, evidence: string[]): Diagnosis {
  const mount = error.path.replace(/^auth\//, '').replace(/\/login$/, '')
  if (/invalid role name|role .* not found|role not found/i.test(said)) return { cause: `The role named in the VaultAuth does not exist at auth/${mount}.`, fix: `Create the role in Vault (vault write auth/${mount}/role/<name> …), or correct the role in the VaultAuth.`, evidence }
  if (/service account name not authorized|service account .* not authorized/i.test(said)) return { cause: 'The Vault role is not bound to this ServiceAccount.', fix: 'Add the ServiceAccount to the role\'s bound_service_account_names, or name a bound one in the VaultAuth.', evidence }
  if (/namespace not authorized/i.test(said)) return { cause: 'The Vault role is not bound to this Kubernetes namespace.', fix: 'Add the namespace to the role\'s bound_service_account_namespaces.', evidence }
  if (/tokenreview|lookup failed|dial tcp|connection refused|no such host|x509|certificate|context deadline/i.test(said)) {
    return { cause: 'Vault could not check the ServiceAccount token with the cluster (TokenReview failed).', fix: `Vault must reach the apiserver: check kubernetes_host and kubernetes_ca_cert in auth/${mount}/config, and that its token reviewer may create tokenreviews (system:auth-delegator).`, evidence }
  }
  // OpenBao and Vault say no more than this when their TokenReview call fails (unreachable apiserver, wrong CA,
  // a reviewer without system:auth-delegator): the reasons above all have words of their own
  if (/^permission denied$/i.test(said) && method === 'kubernetes') {
    return { cause: 'Vault could not check the ServiceAccount token with the cluster (TokenReview failed).', fix: `Vault must reach the apiserver: check kubernetes_host and kubernetes_ca_cert in auth/${mount}/config, and that its token reviewer may create tokenreviews (system:auth-delegator).`, evidence }
  }
  if (/audience/i.test(said)) return { cause: 'The token\'s audience does not match the Vault role.', fix: 'Set kubernetes.audiences in the VaultAuth to the role\'s audience.', evidence }
  if (error.status === 404 || /no handler for route/i.test(said)) return { cause: `No auth method is mounted at auth/${mount}.`, fix: 'Enable it, or correct spec.mount in the VaultAuth.', evidence }
  return { cause: `Vault refused the login at auth/${mount}: ${said || `HTTP ${error.status}`}.`, fix: 'Check the VaultAuth\'s role, mount and ServiceAccount against the role in Vault.', evidence }
}

/** A 403 on a read: tell a KV v2 policy missing its `data/` segment from a missing grant or a revoked token. */
async function diagnosePermission(resource: SecretResource, error: VaultError, access: VaultAccess | undefined, evidence: string[]): Promise<Diagnosis> {
  const kvV2 = resource.kind === 'VaultStaticSecret' && (resource as VaultStaticSecret).spec.type === 'kv-v2'
  if (access && kvV2) {
    const { mount, path } = (resource as VaultStaticSecret).spec
    const dataPath = `${trimSlashes(mount)}/data/${trimSlashes(path)}`
    const bare = `${trimSlashes(mount)}/${trimSlashes(path)}`
    try {
      const token = await access.token()
      const { data } = await access.client.request<{ data: Record<string, string[]> }>({ method: 'POST', path: 'sys/capabilities-self', token, body: { paths: [dataPath, bare] } })
      evidence.push(`capabilities on ${dataPath}: ${(data[dataPath] ?? []).join(', ')}; on ${bare}: ${(data[bare] ?? []).join(', ')}`)
      if (!data[dataPath]?.includes('read') && data[bare]?.some((capability) => capability === 'read' || capability === 'root')) {
        return { cause: `The policy grants read on "${bare}", but KV v2 reads go through "${dataPath}".`, fix: `Change the policy's path to "${trimSlashes(mount)}/data/${trimSlashes(path)}" (KV v2 puts data/ after the mount).`, evidence }
      }
      return { cause: `The Vault role's policies do not allow reading ${dataPath}.`, fix: `Add path "${dataPath}" { capabilities = ["read"] } to a policy of the VaultAuth's role.`, evidence }
    } catch {
      // the fresh token was refused too: fall through
    }
  }
  return { cause: `Vault refused ${error.path} (403): the token lacks a policy for it, or was revoked.`, fix: `Grant read on ${error.path} to the VaultAuth's role; a revoked token is replaced at the next sync.`, evidence }
}
