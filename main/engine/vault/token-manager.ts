// Keeps one Vault token alive: renews it at a share of its TTL, logs in again when it can no longer be
// renewed (max TTL, revoked), and revokes it on sign-out.
import type { Clock } from '../clock.ts'
import { login, lookupSelf, tokenFromAuth, type AuthConfig, type AuthResponse, type VaultToken } from './auth.ts'
import { VaultError, type VaultClient } from './client.ts'
import { DEFAULT_RENEWAL_PERCENT, isTruncated, maskId, renewalDelayMs } from './renewal.ts'
import { withDefaults } from '../options.ts'

export type TokenEvent =
  | { kind: 'issued' | 'renewed' | 'resumed'; accessor: string; method: string; ttlSeconds: number; expiresAt: number; renewable: boolean }
  | { kind: 'revoked'; accessor: string }
  | { kind: 'error'; message: string }

export interface TokenManagerOptions {
  clock: Clock
  renewalPercent?: number
  onEvent?: (event: TokenEvent) => void
  /** Called with the token whenever it is issued, renewed or resumed, and undefined once revoked, for persistence. */
  onChange?: (token: VaultToken | undefined) => void
  /** Wait before trying again after a renewal or login failed for a reason other than the token itself. */
  retryMs?: number
}

export class TokenManager {
  #token: VaultToken | undefined
  /** The TTL asked for at each renewal: the period, or the TTL the token was issued with. */
  #increment = 0
  /** Renewal gave less than asked: the next step is a new login, not a renewal. */
  #capped = false
  #cancelTimer: (() => void) | undefined
  #pending: Promise<VaultToken> | undefined
  readonly #options: Required<TokenManagerOptions>

  constructor(
    private readonly client: VaultClient,
    private readonly auth: AuthConfig,
    options: TokenManagerOptions,
  ) {
    this.#options = withDefaults({ renewalPercent: DEFAULT_RENEWAL_PERCENT, onEvent: () => {}, onChange: () => {}, retryMs: 5_000 }, options)
  }

  /** The live token, logging in first if there is none. Concurrent callers share one login. */
  async token(): Promise<VaultToken> {
    if (this.#token) return this.#token
    this.#pending ??= this.#login().finally(() => (this.#pending = undefined))
    return this.#pending
  }

  /** The token held now, if any; never logs in. */
  current(): VaultToken | undefined {
    return this.#token
  }

  /** Takes over a token kept from an earlier run, if Vault still honours it; returns false if not. */
  async resume(token: VaultToken): Promise<boolean> {
    try {
      const live = await lookupSelf(this.client, token.clientToken, this.#options.clock, token.method)
      this.#adopt(live, token.periodSeconds || token.ttlSeconds, 'resumed')
      return true
    } catch (error) {
      if (error instanceof VaultError && error.isPermissionDenied) return false
      throw error
    }
  }

  /** Renews now; when the token cannot be extended (max TTL, revoked) it logs in again instead. */
  async renew(): Promise<VaultToken> {
    const token = this.#token
    if (!token || this.#capped || !token.renewable) return this.#relogin()
    try {
      const { auth } = await this.client.request<{ auth: AuthResponse }>({
        method: 'POST',
        path: 'auth/token/renew-self',
        token: token.clientToken,
        body: { increment: `${this.#increment}s` },
      })
      const renewed = tokenFromAuth(auth, token.method, this.#options.clock)
      this.#capped = isTruncated(this.#increment, renewed.ttlSeconds)
      this.#adopt({ ...renewed, periodSeconds: token.periodSeconds }, this.#increment, 'renewed')
      return renewed
    } catch (error) {
      if (error instanceof VaultError && error.isPermissionDenied) return this.#relogin()
      throw error
    }
  }

  /** Revokes the token and forgets it. */
  async signOut(): Promise<void> {
    this.stop()
    const token = this.#token
    this.#token = undefined
    if (!token) return
    this.#options.onChange(undefined)
    await this.client.request({ method: 'POST', path: 'auth/token/revoke-self', token: token.clientToken })
    this.#options.onEvent({ kind: 'revoked', accessor: maskId(token.accessor) })
  }

  stop(): void {
    this.#cancelTimer?.()
    this.#cancelTimer = undefined
  }

  async #login(): Promise<VaultToken> {
    const token = await login(this.client, this.auth, this.#options.clock)
    this.#capped = false
    this.#adopt(token, token.periodSeconds || token.ttlSeconds, 'issued')
    return token
  }

  #relogin(): Promise<VaultToken> {
    if (this.auth.method === 'token') {
      const message = 'The Vault token can no longer be renewed and was given directly (VAULT_TOKEN or settings), so it cannot be replaced automatically: provide a new token, or configure an auth method.'
      this.#options.onEvent({ kind: 'error', message })
      return Promise.reject(new Error(message))
    }
    this.#token = undefined
    return this.token()
  }

  #adopt(token: VaultToken, increment: number, kind: 'issued' | 'renewed' | 'resumed'): void {
    this.#token = token
    this.#increment = increment
    this.#options.onChange(token)
    this.#options.onEvent({ kind, accessor: maskId(token.accessor), method: token.method, ttlSeconds: token.ttlSeconds, expiresAt: token.expiresAt, renewable: token.renewable })
    this.#scheduleNext()
  }

  #scheduleNext(delayMs?: number): void {
    this.stop()
    const token = this.#token
    if (!token || token.ttlSeconds === 0) return // a root token never expires
    const delay = delayMs ?? renewalDelayMs(token.ttlSeconds, this.#options.renewalPercent, this.#options.clock)
    this.#cancelTimer = this.#options.clock.schedule(() => void this.#renewOrRetry(), delay)
  }

  async #renewOrRetry(): Promise<void> {
    try {
      await this.renew()
    } catch (error) {
      this.#options.onEvent({ kind: 'error', message: (error as Error).message })
      // Vault may be down for a while: keep trying while the token is good, or while a login could replace it
      const stillValid = this.#token !== undefined && this.#token.expiresAt > this.#options.clock.now()
      if (stillValid || this.auth.method !== 'token') {
        this.stop()
        this.#cancelTimer = this.#options.clock.schedule(() => void this.#renewOrRetry(), this.#options.retryMs)
      }
    }
  }
}
