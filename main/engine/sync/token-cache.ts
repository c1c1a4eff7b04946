// The sync engine's persisted client cache, VSO's `direct-encrypted` model on a laptop: the Vault token of each
// (VaultAuth, consumer namespace) survives a restart, so the engine takes them up again instead of logging in,
// and the leases those tokens hold stay theirs. As VSO does, it is sealed with the transit key named by the
// VaultAuth labelled `cacheStorageEncryption=true` in the operator namespace; that VaultAuth's own token is the
// cache's session (sealed by the keychain secret alone), so it opens without a login too.
import type { Clock } from '../clock.ts'
import { ClientCache } from '../cache/client-cache.ts'
import { KeychainUnavailableError, type Keychain } from '../cache/keychain.ts'
import type { Logger } from '../telemetry/log.ts'
import type { VaultToken } from '../vault/auth.ts'
import { Transit } from '../vault/engines.ts'
import type { VaultAuth, VaultConnection } from './api.ts'
import type { TokenStore, VaultAccess, VaultClientFactory } from './vault-clients.ts'

export const STORAGE_ENCRYPTION_LABEL = 'cacheStorageEncryption'

/** What the window says about the cache: persistent, in memory, or locked, and why. */
export type TokenCacheStatus =
  | { model: 'direct-encrypted'; file: string; restored: number; detail: string }
  | { model: 'memory'; reason: string }
  | { model: 'locked'; reason: string }

export interface TokenCacheOptions {
  file: string
  keychain: Keychain
  clock: Clock
  log: Logger
  /** Changes are written together, this long after the first of them. */
  saveDelayMs?: number
}

const TOKEN_PREFIX = 'token:'

export class TokenCache implements TokenStore {
  #cache: ClientCache | undefined
  #storage: { cacheKey: string; access: VaultAccess } | undefined
  #status: TokenCacheStatus | undefined
  /** The storage VaultAuth's token from the session, until the cache is open. */
  #session: VaultToken | undefined
  #cancelSave: (() => void) | undefined
  #saving: Promise<void> = Promise.resolve()

  constructor(private readonly options: TokenCacheOptions) {}

  /** Undefined until the engine has opened it. */
  get status(): TokenCacheStatus | undefined {
    return this.#status
  }

  kept(cacheKey: string): VaultToken | undefined {
    if (cacheKey === this.#storage?.cacheKey && this.#session) return this.#session
    return this.#cache?.get<VaultToken>(TOKEN_PREFIX + cacheKey)
  }

  keep(cacheKey: string, token: VaultToken | undefined): void {
    const cache = this.#cache
    if (!cache) return
    if (cacheKey === this.#storage?.cacheKey) {
      cache.setSession(token)
      this.#session = token
    }
    if (token) cache.set(TOKEN_PREFIX + cacheKey, token)
    else cache.delete(TOKEN_PREFIX + cacheKey)
    this.#scheduleSave()
  }

  /**
   * Finds the storage VaultAuth among `auths` and opens the last run's cache with it. Never throws: what stands
   * in the way (no such VaultAuth, a locked keychain, a transit key gone) is said in the status and the log.
   */
  async open(auths: VaultAuth[], connectionOf: (auth: VaultAuth) => VaultConnection | undefined, factory: VaultClientFactory, operatorNamespace: string): Promise<TokenCacheStatus> {
    const { file, keychain, log } = this.options
    const storage = auths.find((auth) => auth.metadata.namespace === operatorNamespace && auth.metadata.labels?.[STORAGE_ENCRYPTION_LABEL] === 'true' && auth.spec.storageEncryption)
    const connection = storage && connectionOf(storage)
    if (!storage || !connection) {
      const why = storage
        ? `the VaultConnection of VaultAuth ${operatorNamespace}/${storage.metadata.name} does not exist`
        : `no VaultAuth in ${operatorNamespace} is labelled ${STORAGE_ENCRYPTION_LABEL}=true with spec.storageEncryption (as VSO's Helm chart makes one)`
      return this.#say({ model: 'memory', reason: `Vault tokens are kept in memory only: ${why}. Each restart logs in again.` })
    }
    try {
      const access = await factory.get(connection, storage, operatorNamespace)
      const { mount, keyName } = storage.spec.storageEncryption!
      const cache = new ClientCache({ file, keychain, transit: new Transit(access.client, mount, keyName), logger: log, keychainAccount: `sync-client-cache:${file}` })
      this.#storage = { cacheKey: access.meta().cacheKey, access }
      this.#cache = cache
      const loaded = await cache.load(async (session) => {
        if (isToken(session)) this.#session ??= session
        return access.token() // resumes the session's token if Vault still honours it (keep() then follows it)
      })
      cache.setSession(this.#session) // load put back the file's session; the live token is ours
      // what the file held: the storage VaultAuth's login inside load() is this run's, not restored
      const restored = loaded.restored
      if (cache.model === 'memory') return this.#say({ model: 'locked', reason: `${loaded.problem ?? 'The client cache cannot be opened.'}` })
      const sealed = `sealed with transit ${mount}/${keyName} (VaultAuth ${operatorNamespace}/${storage.metadata.name}) and the OS keychain`
      // a save now proves the cache can be sealed (a new file asks transit for a data key): otherwise say so at once
      try {
        await cache.save(await access.token())
      } catch (error) {
        this.#cache = undefined
        const problem = loaded.problem ? ` ${loaded.problem}` : ''
        const why =
          error instanceof KeychainUnavailableError
            ? error.message
            : `The client cache cannot be sealed with transit ${mount}/${keyName} (${(error as Error).message}). Check that the key exists and that VaultAuth ${operatorNamespace}/${storage.metadata.name}'s token has "update" on ${mount}/datakey/plaintext/${keyName}.`
        return this.#say({ model: 'locked', reason: `${why} Vault tokens are kept in memory this run.${problem}` })
      }
      return this.#say({ model: 'direct-encrypted', file, restored, detail: `${restored} Vault token${restored === 1 ? '' : 's'} kept in ${file}, ${sealed}${loaded.problem ? `; ${loaded.problem}` : ''}` })
    } catch (error) {
      this.#cache = undefined
      return this.#say({ model: 'memory', reason: `Vault tokens are kept in memory only this run: the client cache could not be opened (${(error as Error).message}).` })
    }
  }

  /** Writes what is pending now; the tokens stay valid for the next start. */
  async close(): Promise<void> {
    this.#cancelSave?.()
    this.#cancelSave = undefined
    await this.#saving
    await this.#save()
  }

  #scheduleSave(): void {
    if (this.#cancelSave) return
    this.#cancelSave = this.options.clock.schedule(() => {
      this.#cancelSave = undefined
      this.#saving = this.#saving.then(() => this.#save())
    }, this.options.saveDelayMs ?? 1_000)
  }

  async #save(): Promise<void> {
    const cache = this.#cache
    const storage = this.#storage
    if (!cache || !storage || cache.model === 'memory') return
    try {
      await cache.save(await storage.access.token())
    } catch (error) {
      this.options.log.warn({ file: this.options.file, err: (error as Error).message }, 'saving the client cache failed; the tokens of this run are kept in memory')
    }
  }

  #say(status: TokenCacheStatus): TokenCacheStatus {
    this.#status = status
    if (status.model === 'direct-encrypted') this.options.log.info({ clientCachePersistenceModel: status.model, file: status.file, restored: status.restored }, 'client cache ready')
    else this.options.log.warn({ clientCachePersistenceModel: 'memory' }, status.reason)
    return status
  }
}

function isToken(value: unknown): value is VaultToken {
  return typeof value === 'object' && value !== null && typeof (value as VaultToken).clientToken === 'string'
}
