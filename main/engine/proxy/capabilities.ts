// What Vault says each token may do on each path, kept for a short while. Both caches answer a token only
// while its capability on that exact path is known and fresh: a removed policy or a revoked token stops
// hits within `freshMs`, and an unknown answer (Vault down, 5xx, 429) is a refusal unless the user opted in.
import type { Clock } from '../clock.ts'
import { withDefaults } from '../options.ts'
import { VaultError, type VaultClient } from '../vault/client.ts'
import { capabilitiesSelf } from '../vault/engines.ts'

export type RefreshBehavior = 'optimistic' | 'pessimistic'

/** What a cached answer needs: `read` for a GET, `write` (create or update) for a POST or PUT. */
export type Need = 'read' | 'write'

export interface CapabilityOptions {
  clock: Clock
  /** How long a capability, once Vault stated it, is trusted before a hit asks again. */
  freshMs?: number
  /**
   * 'pessimistic' (default): when Vault cannot be asked, nothing is served from the cache.
   * 'optimistic': what was last known is served for at most `graceMs` more.
   */
  refreshBehavior?: RefreshBehavior
  graceMs?: number
}

interface Grant {
  granted: string[]
  checkedAt: number
}

export function permits(granted: readonly string[], need: Need): boolean {
  if (granted.includes('deny')) return false
  if (granted.includes('root')) return true
  return need === 'read' ? granted.includes('read') : granted.includes('update') || granted.includes('create')
}

export class TokenCapabilities {
  /** token → "namespace|path" → what Vault last said. */
  readonly #tokens = new Map<string, Map<string, Grant>>()
  readonly #asking = new Map<string, Promise<boolean>>()
  readonly #options: Required<CapabilityOptions>

  constructor(
    private readonly client: VaultClient,
    options: CapabilityOptions,
  ) {
    this.#options = withDefaults({ freshMs: 1_000, refreshBehavior: 'pessimistic', graceMs: 5 * 60_000 }, options)
  }

  /** Synchronous while fresh, so a hit waits on nothing; otherwise Vault is asked first (once per token at a time). */
  allows(token: string, namespace: string, apiPath: string, need: Need): boolean | Promise<boolean> {
    const key = `${namespace}|${apiPath}`
    const grant = this.#tokens.get(token)?.get(key)
    if (grant && this.#options.clock.now() - grant.checkedAt <= this.#options.freshMs) return permits(grant.granted, need)
    return this.#ask(token, namespace, apiPath).then((asked) => {
      const now = this.#options.clock.now()
      const latest = this.#tokens.get(token)?.get(key)
      if (!latest) return false
      if (asked || (this.#options.refreshBehavior === 'optimistic' && now - latest.checkedAt <= this.#options.graceMs)) return permits(latest.granted, need)
      return false
    })
  }

  /** Vault just answered this token's request with success: it holds the capability now. */
  confirm(token: string, namespace: string, apiPath: string, need: Need): void {
    const grants = this.#tokens.get(token) ?? new Map<string, Grant>()
    const key = `${namespace}|${apiPath}`
    const granted = new Set(grants.get(key)?.granted.filter((capability) => capability !== 'deny') ?? [])
    granted.add(need === 'read' ? 'read' : 'update')
    grants.set(key, { granted: [...granted], checkedAt: this.#options.clock.now() })
    this.#tokens.set(token, grants)
  }

  /** Vault refused this token on this path. */
  deny(token: string, namespace: string, apiPath: string): void {
    this.#tokens.get(token)?.set(`${namespace}|${apiPath}`, { granted: ['deny'], checkedAt: this.#options.clock.now() })
  }

  forget(token: string): void {
    this.#tokens.delete(token)
  }

  clear(): void {
    this.#tokens.clear()
  }

  get tokens(): string[] {
    return [...this.#tokens.keys()]
  }

  /** Asks again for every path of every token now; returns how many paths were checked and how many lost `read`. */
  async refreshAll(): Promise<{ paths: number; removed: number }> {
    let paths = 0
    let removed = 0
    for (const [token, grants] of [...this.#tokens]) {
      const readable = [...grants].filter(([, grant]) => permits(grant.granted, 'read')).map(([key]) => key)
      paths += grants.size
      const asked = await this.#ask(token, undefined, undefined)
      if (!asked && this.#options.refreshBehavior === 'pessimistic') this.#tokens.delete(token)
      const after = this.#tokens.get(token)
      removed += readable.filter((key) => !after || !permits(after.get(key)?.granted ?? [], 'read')).length
    }
    return { paths, removed }
  }

  /** One sys/capabilities-self per namespace for all of a token's paths (and the one asked about); false if Vault could not say. */
  #ask(token: string, namespace: string | undefined, apiPath: string | undefined): Promise<boolean> {
    const pending = this.#asking.get(token)
    if (pending) return pending
    const asking = this.#askVault(token, namespace, apiPath).finally(() => this.#asking.delete(token))
    this.#asking.set(token, asking)
    return asking
  }

  async #askVault(token: string, namespace: string | undefined, apiPath: string | undefined): Promise<boolean> {
    const grants = this.#tokens.get(token) ?? new Map<string, Grant>()
    const byNamespace = new Map<string, Set<string>>()
    const add = (ns: string, path: string) => byNamespace.set(ns, (byNamespace.get(ns) ?? new Set()).add(path))
    for (const key of grants.keys()) add(key.slice(0, key.indexOf('|')), key.slice(key.indexOf('|') + 1))
    if (namespace !== undefined && apiPath !== undefined) add(namespace, apiPath)
    try {
      for (const [ns, paths] of byNamespace) {
        const capabilities = await capabilitiesSelf(this.client, token, [...paths], ns || undefined)
        const now = this.#options.clock.now()
        for (const path of paths) grants.set(`${ns}|${path}`, { granted: capabilities[path] ?? [], checkedAt: now })
      }
      this.#tokens.set(token, grants)
      return true
    } catch (error) {
      // 403 on capabilities-self: the token itself is gone (revoked, expired), so is everything it proved
      if (error instanceof VaultError && error.status === 403) this.#tokens.delete(token)
      return false
    }
  }
}
