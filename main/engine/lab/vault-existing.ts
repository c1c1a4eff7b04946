// "Vault up and unsealed" for a Vault the user already runs (--vault-addr): the lab only checks it and uses the
// user's token; it never holds that Vault's unseal keys, so a sealed one is the user's to unseal.
import { VaultClient, VaultError } from '../vault/client.ts'
import { vaultSettingsFromEnv } from '../vault/connection.ts'
import { readVaultHealth } from '../vault/health.ts'
import type { LabContext } from './context.ts'
import type { StepHandle } from './runner.ts'

export async function existingVault(step: StepHandle, context: LabContext, address: string): Promise<void> {
  const settings = { ...vaultSettingsFromEnv(context.env), address: address.replace(/\/+$/, '') }
  const health = await readVaultHealth(settings)
  if (!health.reachable) throw new Error(`${health.error} (the lab was given this Vault with --vault-addr)`)
  if (!health.initialized) throw new Error(`The Vault at ${address} is not initialized. Initialize it (\`vault operator init\`), or let the lab run a Vault of its own (leave out --vault-addr).`)
  if (health.sealed) throw new Error(`The Vault at ${address} is sealed, and the lab does not hold its unseal keys. Unseal it (\`vault operator unseal\`), then run \`lab up\` again.`)
  const token = context.vaultToken
  if (!token) throw new Error(`The lab needs a token for the Vault at ${address} that may enable mounts and write policies: set VAULT_TOKEN (or log in with the vault CLI).`)
  const client = new VaultClient(settings, { timeoutMs: 15_000 })
  context.onClose(() => client.close())
  try {
    await client.request({ method: 'GET', path: 'auth/token/lookup-self', token })
  } catch (error) {
    if (error instanceof VaultError && error.status === 403) throw new Error(`The Vault at ${address} does not accept the token from VAULT_TOKEN (expired or revoked). Log in again, then run \`lab up\` again.`, { cause: error })
    throw error
  }
  step.log(`using the Vault at ${address} (${health.version}); the lab changes in it only what it creates`)
  context.vault = { address: settings.address, client, token, owned: false }
}
