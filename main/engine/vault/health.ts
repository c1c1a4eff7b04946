import { VaultClient, VaultError } from './client.ts'
import type { VaultHealth } from '../../contract/index.ts'
import type { VaultConnectionSettings } from './connection.ts'

interface SysHealth {
  initialized: boolean
  sealed: boolean
  standby: boolean
  version: string
  cluster_name?: string
}

export interface SealStatus {
  type: string
  initialized: boolean
  sealed: boolean
  /** Unseal keys needed, and how many have been given so far. */
  t: number
  n: number
  progress: number
  version: string
  cluster_name?: string
}

// Ask for 200 in every state, so the body always says which state it is.
const ALWAYS_200 = { standbyok: true, perfstandbyok: true, sealedcode: 200, uninitcode: 200, drsecondarycode: 200, performancestandbycode: 200 }

/** Reads sys/health; never throws: an unreachable Vault is a state, with a message that says what to do. */
export async function readVaultHealth(settings: VaultConnectionSettings, timeoutMs = 5_000): Promise<VaultHealth> {
  const { address } = settings
  const client = new VaultClient(settings, { timeoutMs, maxRetries: 0 })
  try {
    const health = await client.request<SysHealth>({ method: 'GET', path: 'sys/health', query: ALWAYS_200 })
    return {
      address,
      reachable: true,
      initialized: health.initialized,
      sealed: health.sealed,
      standby: health.standby,
      version: health.version,
      clusterName: health.cluster_name,
    }
  } catch (error) {
    if (!(error instanceof VaultError)) throw error
    return { address, reachable: false, error: error.message }
  } finally {
    client.close()
  }
}

export function readSealStatus(client: VaultClient): Promise<SealStatus> {
  return client.request<SealStatus>({ method: 'GET', path: 'sys/seal-status' })
}
