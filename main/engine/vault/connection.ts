// How to reach a Vault (or OpenBao) server, read the way the vault CLI reads it.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

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

/** Where the CLI's token came from, for messages. */
export interface DefaultToken {
  token: string
  source: 'VAULT_TOKEN' | 'token helper' | '~/.vault-token'
}

/**
 * The token the vault CLI would use: VAULT_TOKEN, else what the configured token helper returns (the
 * `token_helper` line of ~/.vault or VAULT_CONFIG_PATH), else ~/.vault-token.
 */
/** The token the vault CLI would use, asked again at each call (a new `vault login` is picked up); '' without one. */
export const cliToken = (env: NodeJS.ProcessEnv) => async (): Promise<string> => (await defaultVaultToken(env))?.token ?? ''

export async function defaultVaultToken(env: NodeJS.ProcessEnv = process.env): Promise<DefaultToken | undefined> {
  if (env.VAULT_TOKEN) return { token: env.VAULT_TOKEN, source: 'VAULT_TOKEN' }
  const home = env.HOME || homedir()
  const configPath = env.VAULT_CONFIG_PATH || join(home, '.vault')
  const helper = existsSync(configPath) ? readFileSync(configPath, 'utf8').match(/^\s*token_helper\s*=\s*"((?:[^"\\]|\\.)*)"/m)?.[1] : undefined
  if (helper) {
    try {
      const { stdout } = await run(JSON.parse(`"${helper}"`) as string, ['get'], { env, timeout: 10_000 })
      return stdout.trim() ? { token: stdout.trim(), source: 'token helper' } : undefined
    } catch (error) {
      throw new Error(`The token helper named in ${configPath} failed: ${(error as Error).message}. Fix or remove its token_helper line.`, { cause: error })
    }
  }
  const file = join(home, '.vault-token')
  const token = existsSync(file) ? readFileSync(file, 'utf8').trim() : ''
  return token ? { token, source: '~/.vault-token' } : undefined
}
