// The encrypted persistent client cache (VSO's `direct-encrypted` model, for a laptop): Vault tokens and
// lease records survive a restart, so the app resumes them instead of logging in and minting new
// credentials. It never writes plaintext: without a keychain or transit it stays in memory and says so.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '../telemetry/log.ts'
import { VaultError } from '../vault/client.ts'
import type { Transit } from '../vault/engines.ts'
import { KeychainUnavailableError, type Keychain } from './keychain.ts'
import { CacheFileCorruptError, openRecords, openSession, readCacheHeader, sealCacheFile } from './sealed-file.ts'

export type PersistenceModel = 'direct-encrypted' | 'memory'

/** VSO's default client cache size. */
export const DEFAULT_CACHE_SIZE = 10_000
export const DEFAULT_TRANSIT_KEY = 'vault-tray-client-cache'

export interface ClientCacheOptions {
  file: string
  /** Both are needed to persist; without either the cache stays in memory. */
  keychain?: Keychain
  transit?: Transit
  logger: Logger
  maxEntries?: number
  /** Keychain account of the local secret. */
  keychainAccount?: string
  onEvict?: (key: string) => void
}

export interface LoadResult {
  /** The session kept by the last run (its Vault token), if any. */
  session: unknown
  restored: number
  /** What went wrong, said for the user, when the last run's cache could not be used. */
  problem?: string
}

export class ClientCache {
  model: PersistenceModel
  readonly maxEntries: number
  readonly #entries = new Map<string, unknown>()
  readonly #options: ClientCacheOptions
  #localSecret: Buffer | undefined
  #dataKey: { plaintext: Buffer; wrapped: string; fileId: Buffer } | undefined
  #session: unknown

  constructor(options: ClientCacheOptions) {
    this.#options = options
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_SIZE
    this.model = options.keychain && options.transit ? 'direct-encrypted' : 'memory'
  }

  get file(): string {
    return this.#options.file
  }

  /**
   * Opens the last run's cache. `unlock` receives the kept session and returns a valid Vault token (the
   * kept one if Vault still honours it, else a fresh login), which unwraps the data key through transit.
   */
  async load(unlock: (session: unknown) => Promise<string>): Promise<LoadResult> {
    const { keychain, transit, file, logger } = this.#options
    const announce = (result: LoadResult): LoadResult => {
      logger.info({ clientCachePersistenceModel: this.model, clientCacheSize: this.maxEntries, restored: result.restored, file: this.model === 'memory' ? undefined : file }, 'client cache ready')
      if (result.problem) logger.warn({ file }, result.problem)
      return result
    }
    if (!keychain || !transit) {
      return announce({ session: undefined, restored: 0, problem: `No ${keychain ? 'transit engine' : 'OS keychain'} is configured: the client cache stays in memory and tokens and leases will not survive a restart.` })
    }
    try {
      const stored = await keychain.get(this.#account)
      this.#localSecret = stored === null ? undefined : Buffer.from(stored, 'base64')
    } catch (error) {
      if (!(error instanceof KeychainUnavailableError)) throw error
      this.model = 'memory'
      return announce({ session: undefined, restored: 0, problem: `${error.message} The client cache stays in memory this run; ${existsSync(file) ? `${file} is kept as it is` : 'nothing is written'}.` })
    }
    if (!existsSync(file)) return announce({ session: undefined, restored: 0 })
    if (!this.#localSecret) return announce({ session: undefined, restored: 0, problem: this.#setAside('its key is no longer in the OS keychain, so it cannot be opened', 'no-key') })

    try {
      const { header, lines } = readCacheHeader(readFileSync(file, 'utf8'))
      const session = openSession(header, this.#localSecret)
      const token = await unlock(session)
      let plaintext: Buffer
      try {
        plaintext = await transit.decrypt(token, header.wrappedKey)
      } catch (error) {
        if (!(error instanceof VaultError) || error.status === 0 || error.status >= 500) throw error
        if (error.status === 403) {
          // a policy can be fixed: keep the file as it is and do not overwrite it this run
          this.model = 'memory'
          return announce({
            session,
            restored: 0,
            problem: `The client cache cannot be unlocked: ${error.message} Grant "update" on ${transit.mount}/decrypt/${transit.key}; until then it stays in memory and ${file} is kept as it is.`,
          })
        }
        return announce({ session: undefined, restored: 0, problem: this.#setAside(`its data key cannot be unwrapped (${error.message})`, 'unreadable') })
      }
      const records = openRecords(header, lines, plaintext, this.#localSecret)
      this.#dataKey = { plaintext, wrapped: header.wrappedKey, fileId: Buffer.from(header.fileId, 'base64') }
      this.#session = session
      for (const record of records.slice(-this.maxEntries)) this.#entries.set(record.key, record.value)
      return announce({ session, restored: this.#entries.size })
    } catch (error) {
      if (!(error instanceof CacheFileCorruptError)) throw error
      return announce({ session: undefined, restored: 0, problem: this.#setAside(error.message, 'damaged') })
    }
  }

  get size(): number {
    return this.#entries.size
  }

  /** Reading an entry makes it the most recently used. */
  get<T>(key: string): T | undefined {
    if (!this.#entries.has(key)) return undefined
    const value = this.#entries.get(key)
    this.#entries.delete(key)
    this.#entries.set(key, value)
    return value as T
  }

  set(key: string, value: unknown): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string
      this.#entries.delete(oldest)
      this.#options.onEvict?.(oldest)
    }
  }

  delete(key: string): boolean {
    return this.#entries.delete(key)
  }

  keys(): string[] {
    return [...this.#entries.keys()]
  }

  /** The entries whose key starts with `prefix`, as [key without the prefix, value]; recency is left as it is. */
  withPrefix<T>(prefix: string): [string, T][] {
    return [...this.#entries].filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key.slice(prefix.length), value as T])
  }

  /** What identifies the running session (its token), kept sealed by the keychain secret alone. */
  setSession(session: unknown): void {
    this.#session = session
  }

  /** Writes the cache, sealed, replacing the file atomically. A no-op in memory mode. */
  async save(token: string): Promise<void> {
    const { keychain, transit, file } = this.#options
    if (this.model === 'memory' || !keychain || !transit) return
    if (!this.#localSecret) {
      this.#localSecret = randomBytes(32)
      await keychain.set(this.#account, this.#localSecret.toString('base64'))
    }
    if (!this.#dataKey) {
      const key = await transit.dataKey(token)
      this.#dataKey = { plaintext: key.plaintext, wrapped: key.ciphertext, fileId: randomBytes(16) }
    }
    const content = sealCacheFile({
      fileId: this.#dataKey.fileId,
      transit: { mount: transit.mount, key: transit.key },
      wrappedKey: this.#dataKey.wrapped,
      dataKey: this.#dataKey.plaintext,
      localSecret: this.#localSecret,
      session: this.#session,
      records: [...this.#entries].map(([key, value]) => ({ key, value })),
    })
    const staging = `${file}.${process.pid}.tmp`
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    writeFileSync(staging, content, { mode: 0o600 })
    renameSync(staging, file)
  }

  get #account(): string {
    return this.#options.keychainAccount ?? 'client-cache'
  }

  /** Moves an unusable file aside, so nothing is lost and the next save starts a new one. */
  #setAside(reason: string, label: string): string {
    const { file } = this.#options
    const aside = `${file}.${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`
    renameSync(file, aside)
    this.#dataKey = undefined
    return `The client cache could not be used: ${reason}. It was moved to ${aside}; the app starts with an empty cache (new logins and credentials).`
  }
}
