import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { VaultConnectionSettings } from './connection.ts'

export type VaultHealth =
  | {
      address: string
      reachable: true
      initialized: boolean
      sealed: boolean
      standby: boolean
      version: string
      clusterName?: string
    }
  | { address: string; reachable: false; error: string }

interface SysHealth {
  initialized: boolean
  sealed: boolean
  standby: boolean
  version: string
  cluster_name?: string
}

// Ask for 200 in every state, so the body always says which state it is.
const HEALTH_PATH = '/v1/sys/health?standbyok=true&perfstandbyok=true&sealedcode=200&uninitcode=200&drsecondarycode=200&performancestandbycode=200'

/** Reads sys/health; never throws: an unreachable Vault is a state, with a message that says what to do. */
export async function readVaultHealth(settings: VaultConnectionSettings, timeoutMs = 5_000): Promise<VaultHealth> {
  const { address } = settings
  try {
    const { status, body } = await get(settings, HEALTH_PATH, timeoutMs)
    if (status !== 200) return { address, reachable: false, error: `Vault at ${address} answered sys/health with HTTP ${status}: ${body.slice(0, 200)}` }
    const health = JSON.parse(body) as SysHealth
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
    return { address, reachable: false, error: explainConnectionError(settings, error as NodeJS.ErrnoException) }
  }
}

function get(settings: VaultConnectionSettings, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const url = new URL(settings.address + path)
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: settings.caCert, rejectUnauthorized: !settings.skipVerify, servername: settings.tlsServerName, timeout: timeoutMs },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
        response.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })))
    req.on('error', reject)
    req.end()
  })
}

export function explainConnectionError(settings: VaultConnectionSettings, error: NodeJS.ErrnoException): string {
  const where = `Vault at ${settings.address}`
  switch (error.code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: nothing listens there. Start Vault, or set VAULT_ADDR to its address.`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where} cannot be resolved (${error.code}). Check the host name in VAULT_ADDR.`
    case 'ETIMEDOUT':
      return `${where} did not answer (${error.message}). Check VAULT_ADDR and the network path to it.`
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `${where} has a certificate this machine does not trust (${error.code}). Set VAULT_CACERT to its CA file${settings.caCertPath ? ` (now ${settings.caCertPath})` : ''}.`
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `${where} has a certificate for another name (${error.message}). Use the name in its certificate, or set VAULT_TLS_SERVER_NAME.`
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return `${where} did not speak TLS. If it serves plain HTTP, use http:// in VAULT_ADDR.`
    default:
      return `${where} could not be reached: ${error.message}`
  }
}
