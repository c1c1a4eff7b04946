// How to reach a Vault (or OpenBao) server, read the way the vault CLI reads it.
import { readFileSync } from 'node:fs'

export interface VaultConnectionSettings {
  address: string
  /** PEM of the CA to trust, read from VAULT_CACERT. */
  caCert?: string
  /** Where caCert came from, for messages. */
  caCertPath?: string
  skipVerify: boolean
  tlsServerName?: string
  /** Vault Enterprise namespace, sent as X-Vault-Namespace. */
  namespace?: string
}

/** The vault CLI's default when VAULT_ADDR is not set. */
export const DEFAULT_VAULT_ADDR = 'https://127.0.0.1:8200'

export function vaultSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): VaultConnectionSettings {
  const caCertPath = env.VAULT_CACERT || undefined
  let caCert: string | undefined
  if (caCertPath) {
    try {
      caCert = readFileSync(caCertPath, 'utf8')
    } catch (error) {
      throw new Error(`VAULT_CACERT=${caCertPath} cannot be read (${(error as Error).message}). Point it at a PEM file with your Vault's CA.`, { cause: error })
    }
  }
  return {
    address: (env.VAULT_ADDR || DEFAULT_VAULT_ADDR).replace(/\/+$/, ''),
    caCert,
    caCertPath,
    skipVerify: isTrue(env.VAULT_SKIP_VERIFY),
    tlsServerName: env.VAULT_TLS_SERVER_NAME || undefined,
    namespace: env.VAULT_NAMESPACE || undefined,
  }
}

/** Vault parses these flags with Go's strconv.ParseBool. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)
}
