// The Leases view: what the engine holds and when it renews it.

/** One lease or token the engine holds, as the Leases view shows it. The id is masked; `handle` names it on the bridge. */
export interface LeaseView {
  handle: string
  source: 'sync' | 'token'
  /** The resource it belongs to (sync), or the token's display name. */
  owner: string
  maskedId: string
  path: string
  renewable: boolean
  issuedAt: number
  /** When it ends unless renewed. */
  expiresAt: number
  /** When Vault will refuse to renew it further (max TTL), when known. */
  maxExpiresAt?: number
  nextRenewalAt?: number
  /** Workloads the next rotation restarts: Kind/name. */
  restarts: string[]
}
