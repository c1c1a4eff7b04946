// A token helper for the vault and bao CLIs: they run `<helper> get|store|erase` and exchange the token on
// stdin/stdout. We keep it in the OS keychain, one entry per Vault address, instead of the plaintext
// ~/.vault-token file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Keychain } from '../cache/keychain.ts'
import { DEFAULT_VAULT_ADDR } from './connection.ts'

export type TokenHelperOperation = 'get' | 'store' | 'erase'

/** The CLI passes the address it talks to in the helper's environment. */
export function tokenHelperAccount(env: NodeJS.ProcessEnv): string {
  const address = (env.VAULT_ADDR || env.BAO_ADDR || DEFAULT_VAULT_ADDR).replace(/\/+$/, '')
  return `cli-token:${address}`
}

/** Runs one operation of the protocol. `get` prints nothing when no token is stored, as the CLI expects. */
export async function runTokenHelper(operation: TokenHelperOperation, keychain: Keychain, env: NodeJS.ProcessEnv, stdin: () => Promise<string>): Promise<string> {
  const account = tokenHelperAccount(env)
  switch (operation) {
    case 'get':
      return (await keychain.get(account)) ?? ''
    case 'store': {
      const token = (await stdin()).trim()
      if (!token) throw new Error('token-helper store: no token on standard input')
      await keychain.set(account, token)
      return ''
    }
    case 'erase':
      await keychain.delete(account)
      return ''
  }
}

/** The CLI configuration file the user's vault (or bao) command reads. */
export function cliConfigPath(env: NodeJS.ProcessEnv, cli: 'vault' | 'bao' = 'vault'): string {
  const override = cli === 'vault' ? env.VAULT_CONFIG_PATH : env.BAO_CONFIG_PATH
  return override || join(env.HOME || homedir(), cli === 'vault' ? '.vault' : '.bao')
}

const TOKEN_HELPER_LINE = /^\s*token_helper\s*=.*$/m

/**
 * Points the CLI at our helper (`enable`), or takes our line out again. Other settings in the file are kept;
 * a token_helper line of someone else's is replaced only when enabling, and reported.
 */
export function configureTokenHelper(configPath: string, helperPath: string, enable: boolean): { changed: boolean; replaced?: string } {
  const before = existsSync(configPath) ? readFileSync(configPath, 'utf8') : ''
  const ours = `token_helper = ${JSON.stringify(helperPath)}`
  const current = before.match(TOKEN_HELPER_LINE)?.[0]
  let after: string
  if (enable) after = current ? before.replace(TOKEN_HELPER_LINE, ours) : `${before}${before && !before.endsWith('\n') ? '\n' : ''}${ours}\n`
  else after = current?.trim() === ours ? before.replace(new RegExp(`${escape(current)}\\n?`), '') : before
  if (after === before) return { changed: false }
  writeFileSync(configPath, after, { mode: 0o600 })
  return { changed: true, ...(enable && current && current.trim() !== ours ? { replaced: current.trim() } : {}) }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
