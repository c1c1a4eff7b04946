// Where the proxy keeps its caches across restarts when asked to (`daemon --proxy --proxy-persist MOUNT/KEY`), in the
// manner of Vault Proxy's persistent cache: an encrypted client cache file of its own, sealed with that transit key
// and the OS keychain, unlocked and saved with the user's own token (the vault CLI's).
import { ClientCache } from '../cache/client-cache.ts'
import type { Keychain } from '../cache/keychain.ts'
import type { Logger } from '../telemetry/log.ts'
import { VaultClient } from '../vault/client.ts'
import type { VaultConnectionSettings } from '../vault/connection.ts'
import { Transit } from '../vault/engines.ts'
import type { ProxyOptions } from './server.ts'

export class TransitKeyNameError extends Error {}

/** "transit/vault-tray-client-cache" → the mount and the key: the key is the last segment, the mount the rest. */
export function parseTransitKey(value: string): { mount: string; key: string } {
  const parts = value.replace(/^\/+|\/+$/g, '').split('/')
  if (parts.length < 2 || parts.some((part) => !/^[\w.-]+$/.test(part))) {
    throw new TransitKeyNameError(`--proxy-persist wants the transit mount and key as MOUNT/KEY, such as transit/vault-tray-client-cache, not "${value}"`)
  }
  return { mount: parts.slice(0, -1).join('/'), key: parts.at(-1)! }
}

export function proxyPersistence(options: { upstream: VaultConnectionSettings; file: string; transit: string; keychain: Keychain; token: () => Promise<string>; logger: Logger }): NonNullable<ProxyOptions['persistence']> {
  const { mount, key } = parseTransitKey(options.transit)
  const client = new VaultClient(options.upstream)
  const cache = new ClientCache({ file: options.file, keychain: options.keychain, transit: new Transit(client, mount, key), logger: options.logger, keychainAccount: `proxy-cache:${options.file}` })
  return { cache, token: options.token }
}
