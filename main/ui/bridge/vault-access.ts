// The window reaches Vault as the user does on the command line: the configured address, and the token the
// vault CLI would use. Inspection, Leases and Overview share it.
import { BridgeError } from '../../contract/index.ts'
import { VaultClient } from '../../engine/vault/client.ts'
import { defaultVaultToken, vaultSettingsFromEnv, type DefaultToken } from '../../engine/vault/connection.ts'
import type { BridgeContext } from './context.ts'

export interface UserVault {
  client(): VaultClient
  /** The token, or a clear error saying how to get one. */
  token(): Promise<string>
  /** The token and where it came from, when there is one. */
  found(): Promise<DefaultToken | undefined>
}

export function userVault({ env }: BridgeContext): UserVault {
  let client: VaultClient | undefined
  const found = () => defaultVaultToken(env)
  return {
    client: () => (client ??= new VaultClient(vaultSettingsFromEnv(env))),
    found,
    async token() {
      const token = await found()
      if (!token) throw new BridgeError('unavailable', 'No Vault token: set VAULT_TOKEN, or log in with `vault login` (it writes ~/.vault-token), then try again.')
      return token.token
    },
  }
}
