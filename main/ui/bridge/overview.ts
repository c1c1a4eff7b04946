// What Overview shows besides health: the user's token (its TTL and policies, never the token), and what the
// kube-context holds — VSO's CRDs, VSO itself running or not, and the permissions VSO's ClusterRole needs that
// this user lacks. Preflight asks dozens of SelfSubjectAccessReviews, so the answer is kept for 30 s.
import type { InvokeHandlers, OverviewDetails } from '../../contract/index.ts'
import { loadKubeConfig } from '../../engine/kube/contexts.ts'
import { preflight } from '../../engine/kube/preflight.ts'
import { crdsInstalled, detectOperator } from '../../engine/kube/vso-detect.ts'
import type { BridgeContext, BridgePart } from './context.ts'
import { userVault } from './vault-access.ts'

const KEEP_MS = 30_000

interface TokenLookup {
  data: { display_name: string; policies: string[]; ttl: number; renewable: boolean; expire_time: string | null }
}

export function overviewPart(context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'overview:details'>> {
  const { engine, env } = context
  const vault = userVault(context)
  let kept: { at: number; details: Promise<OverviewDetails> } | undefined

  async function token(): Promise<OverviewDetails['token']> {
    const found = await vault.found()
    if (!found) return { error: 'No Vault token: set VAULT_TOKEN, or log in with `vault login`.' }
    try {
      const { data } = await vault.client().request<TokenLookup>({ method: 'GET', path: 'auth/token/lookup-self', token: found.token })
      return { source: found.source, displayName: data.display_name, policies: data.policies, ttlSeconds: data.ttl, expiresAt: data.expire_time ? Date.parse(data.expire_time) : undefined, renewable: data.renewable }
    } catch (error) {
      return { error: `The token from ${found.source} does not work: ${(error as Error).message}` }
    }
  }

  async function kube(): Promise<OverviewDetails['kube']> {
    const config = engine.sync?.kube.config ?? loadKubeConfig(env)?.config
    if (!config) return undefined
    try {
      const [crds, operator, permissions] = await Promise.all([crdsInstalled(config), detectOperator(config), preflight(config)])
      return {
        context: config.getCurrentContext(),
        crds: { installed: crds.filter((crd) => crd.installed).map((crd) => crd.name), missing: crds.filter((crd) => !crd.installed).map((crd) => crd.name) },
        operator: { running: operator.running, evidence: operator.evidence },
        preflight: { missing: permissions.disabled.flatMap((entry) => entry.because.map((permission) => ({ permission, feature: entry.label }))), summary: permissions.summary },
      }
    } catch (error) {
      return { error: (error as Error).message }
    }
  }

  return {
    handlers: {
      'overview:details': async () => {
        const now = Date.now()
        if (!kept || now - kept.at > KEEP_MS) kept = { at: now, details: Promise.all([token(), kube()]).then(([token, kube]) => ({ token, kube })) }
        return kept.details
      },
    },
  }
}
