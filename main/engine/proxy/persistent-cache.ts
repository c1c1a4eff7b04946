// Where the proxy keeps its caches across restarts when asked to (`daemon --proxy --proxy-persist MOUNT/KEY`), in the
// manner of Vault Proxy's persistent cache: an encrypted client cache file of its own, sealed with that transit key
// and the OS keychain, unlocked and saved with the user's own token (the vault CLI's).
import { join } from 'node:path'
import { ClientCache } from '../cache/client-cache.ts'
import { type Keychain, SystemKeychain } from '../cache/keychain.ts'
import { createLogger, type Logger } from '../telemetry/log.ts'
import { VaultClient } from '../vault/client.ts'
import { cliToken, type VaultConnectionSettings, vaultSettingsFromEnv } from '../vault/connection.ts'
import { Transit } from '../vault/engines.ts'
import type { ProxyOptions } from './server.ts'

const segments = (value: string) => value.replace(/^\/+|\/+$/g, '').split('/')

/** Why `value` is not a transit MOUNT/KEY, or undefined when it is one. */
export function transitKeyProblem(value: string): string | undefined {
  const parts = segments(value)
  if (parts.length < 2 || parts.some((part) => !/^[\w.-]+$/.test(part))) return `wants the transit mount and key as MOUNT/KEY, such as transit/vault-tray-client-cache, not "${value}"`
  return undefined
}

/** "transit/vault-tray-client-cache" → the mount and the key: the key is the last segment, the mount the rest. */
export function parseTransitKey(value: string): { mount: string; key: string } {
  const problem = transitKeyProblem(value)
  if (problem) throw new Error(`the proxy's transit key ${problem}`)
  const parts = segments(value)
  return { mount: parts.slice(0, -1).join('/'), key: parts.at(-1)! }
}

export function proxyPersistence(options: { upstream: VaultConnectionSettings; file: string; transit: string; keychain: Keychain; token: () => Promise<string>; logger: Logger }): NonNullable<ProxyOptions['persistence']> {
  const { mount, key } = parseTransitKey(options.transit)
  const client = new VaultClient(options.upstream)
  const cache = new ClientCache({ file: options.file, keychain: options.keychain, transit: new Transit(client, mount, key), logger: options.logger, keychainAccount: `proxy-cache:${options.file}` })
  return { cache, token: options.token }
}

/**
 * The proxy as the daemon and the app run it for the user: the CLI's token subscribes to Vault's event stream for
 * the cache's freshness (it is never lent to a request), and with `persist` (MOUNT/KEY) the caches are kept in
 * `cacheDir`, sealed with that transit key and unlocked with the same token.
 */
export function userProxyOptions(env: NodeJS.ProcessEnv, cacheDir: string, persist: string | undefined): Pick<ProxyOptions, 'eventsToken' | 'persistence'> {
  const token = cliToken(env)
  const persistence = persist
    ? proxyPersistence({ upstream: vaultSettingsFromEnv(env), file: join(cacheDir, 'proxy.cache'), transit: persist, keychain: new SystemKeychain(), token, logger: createLogger() })
    : undefined
  return { eventsToken: token, persistence }
}
