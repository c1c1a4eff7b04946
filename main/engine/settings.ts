// The user's settings: one JSON file (0600) that the Electron shell and the daemon read and write alike. Every
// field is checked before anything is written, and a write replaces the file whole (write aside, then rename).
// Not `conf`/electron-store: importing them hooks SIGINT and SIGTERM and raises the signal again, which kills
// the daemon and `lab up` before they can stop in order.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import type { Settings } from '../contract/index.ts'
import { transitKeyProblem } from './proxy/persistent-cache.ts'

export type { Settings }
export type SettingsErrors = Partial<Record<string, string>>

/** Where the settings live: $XDG_CONFIG_HOME/vault-tray/settings.json. */
export function settingsFilePath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'vault-tray', 'settings.json')
}

const DEFAULT_PROXY_PORT = 8100
const NAME = /^[A-Za-z0-9][-\w.@]*$/

/** What the settings are before the user saved any: taken from the environment the engine started with. */
/** Where the encrypted client caches live unless Settings say otherwise. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_DATA_HOME || join(env.HOME ?? homedir(), '.local', 'share'), 'vault-tray', 'cache')
}

/** The sync engine's client cache file for one kube-context, in the cache folder. */
export function syncClientCacheFile(cacheDir: string, context: string): string {
  return join(cacheDir, `sync-${context.replace(/[^\w.-]+/g, '_')}.cache`)
}

export function defaultSettings(env: NodeJS.ProcessEnv, currentContext: string | undefined, cacheDir: string): Settings {
  return {
    kubeContext: currentContext,
    vaultAddress: (env.VAULT_ADDR || 'https://127.0.0.1:8200').replace(/\/+$/, ''),
    vaultAuth: { method: 'token' },
    proxyPort: DEFAULT_PROXY_PORT,
    cacheDir,
    notifications: true,
    theme: 'system',
    clipboardClearSeconds: 20,
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Checks every field and says, per field, what is wrong in plain words; no errors means `value` is a Settings.
 * `contexts` are the kubeconfig's context names (a kubeContext must be one of them).
 */
export function validateSettings(value: unknown, contexts: readonly string[]): { settings: Settings; errors?: undefined } | { settings?: undefined; errors: SettingsErrors } {
  if (!isRecord(value)) return { errors: { settings: 'Settings must be an object.' } }
  const errors: SettingsErrors = {}
  const known = new Set(['kubeContext', 'vaultAddress', 'vaultAuth', 'proxyPort', 'cacheDir', 'notifications', 'theme', 'clipboardClearSeconds', 'proxyPersist'])
  for (const key of Object.keys(value)) if (!known.has(key)) errors[key] = `${key} is not a setting.`

  const { kubeContext, vaultAddress, vaultAuth, proxyPort, cacheDir, notifications, theme, clipboardClearSeconds, proxyPersist } = value
  if (kubeContext !== undefined && (typeof kubeContext !== 'string' || !contexts.includes(kubeContext)))
    errors.kubeContext = contexts.length ? `Pick one of your kubeconfig's contexts: ${contexts.join(', ')}.` : 'There is no kubeconfig with contexts: leave the kube-context empty.'

  let url: URL | undefined
  try {
    url = typeof vaultAddress === 'string' ? new URL(vaultAddress) : undefined
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname.replace(/\/+$/, '') !== '' || url.search || url.hash)
    errors.vaultAddress = 'Enter the Vault address as http(s)://host:port, without a path (for example https://vault.example.com:8200).'

  if (!isRecord(vaultAuth) || !['token', 'kubernetes', 'approle'].includes(String(vaultAuth.method))) errors['vaultAuth.method'] = 'Choose token, kubernetes or approle.'
  else if (vaultAuth.method !== 'token') {
    if (typeof vaultAuth.mount !== 'string' || !/^[\w.-]+(\/[\w.-]+)*$/.test(vaultAuth.mount)) errors['vaultAuth.mount'] = 'Enter the auth mount path, such as kubernetes or approle.'
    if (vaultAuth.method === 'kubernetes' && (typeof vaultAuth.role !== 'string' || !NAME.test(vaultAuth.role))) errors['vaultAuth.role'] = 'Enter the Vault role to log in with.'
    if (vaultAuth.method === 'approle' && (typeof vaultAuth.roleId !== 'string' || vaultAuth.roleId.trim() === '')) errors['vaultAuth.roleId'] = 'Enter the AppRole role ID.'
  }

  if (typeof proxyPort !== 'number' || !Number.isInteger(proxyPort) || !(proxyPort === 0 || (proxyPort >= 1024 && proxyPort <= 65_535)))
    errors.proxyPort = 'Enter a port from 1024 to 65535, or 0 to pick a free one.'
  if (typeof cacheDir !== 'string' || !isAbsolute(cacheDir)) errors.cacheDir = 'Enter an absolute folder path for the cache.'
  if (typeof notifications !== 'boolean') errors.notifications = 'Notifications are on or off.'
  if (theme !== 'system' && theme !== 'light' && theme !== 'dark') errors.theme = 'Choose system, light or dark.'
  if (typeof clipboardClearSeconds !== 'number' || !Number.isInteger(clipboardClearSeconds) || clipboardClearSeconds < 1 || clipboardClearSeconds > 300)
    errors.clipboardClearSeconds = 'Enter a whole number of seconds from 1 to 300.'
  const persist = typeof proxyPersist === 'string' ? proxyPersist.trim() : proxyPersist
  if (persist !== undefined && persist !== '' && (typeof persist !== 'string' || transitKeyProblem(persist) !== undefined))
    errors.proxyPersist = 'Enter the transit mount and key as MOUNT/KEY (such as transit/vault-tray-client-cache), or leave it empty to keep the proxy cache in memory.'

  if (Object.keys(errors).length) return { errors }
  const auth = vaultAuth as Settings['vaultAuth']
  const settings: Settings = {
    vaultAddress: (vaultAddress as string).replace(/\/+$/, ''),
    vaultAuth: auth.method === 'token' ? { method: 'token' } : auth.method === 'kubernetes' ? { method: 'kubernetes', mount: auth.mount, role: auth.role } : { method: 'approle', mount: auth.mount, roleId: auth.roleId },
    proxyPort: proxyPort as number,
    cacheDir: cacheDir as string,
    notifications: notifications as boolean,
    theme: theme as Settings['theme'],
    clipboardClearSeconds: clipboardClearSeconds as number,
  }
  if (kubeContext !== undefined) settings.kubeContext = kubeContext as string
  if (typeof persist === 'string' && persist !== '') settings.proxyPersist = persist
  return { settings }
}

/** What the store holds: the settings, and why the file could not be used when it could not. */
export interface LoadedSettings {
  settings: Settings
  /** Set when the file exists but is not usable; the defaults are used meanwhile and the file is left as it is. */
  problem?: string
}

/**
 * What a start takes from the saved settings: the fields that were saved (each checked again), or nothing and
 * why when the file cannot be used. The environment still wins over them: VAULT_ADDR, --context, --proxy-port.
 */
export function savedSettings(file: string, contexts: readonly string[]): { saved?: Settings; problem?: string } {
  const store = new SettingsStore(file, () => defaultSettings({}, undefined, '/'), () => [...contexts])
  if (!existsSync(file)) return {}
  const loaded = store.load()
  return loaded.problem ? { problem: loaded.problem } : { saved: loaded.settings }
}

export class SettingsStore {
  constructor(
    readonly file: string,
    private readonly defaults: () => Settings,
    private readonly contexts: () => string[],
  ) {}

  /** What the file holds, or why it cannot be used: a file the user broke by hand is reported, never replaced. */
  #read(): { stored?: Record<string, unknown>; problem?: string } {
    if (!existsSync(this.file)) return {}
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'))
    } catch (error) {
      return { problem: `${this.file} is not valid JSON (${(error as Error).message}). Fix or remove it; until then the defaults are used and Save is refused.` }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: `${this.file} does not hold a JSON object. Fix or remove it; until then the defaults are used and Save is refused.` }
    return { stored: parsed as Record<string, unknown> }
  }

  load(): LoadedSettings {
    const defaults = this.defaults()
    const { stored, problem } = this.#read()
    if (problem) return { settings: defaults, problem }
    if (!stored) return { settings: defaults }
    const checked = validateSettings({ ...defaults, ...stored }, this.contexts())
    if (checked.errors) return { settings: defaults, problem: `${this.file} holds settings that are not usable (${Object.values(checked.errors).join(' ')}). Save corrects them.` }
    return { settings: checked.settings }
  }

  /** Writes the settings when every field is right; writes nothing otherwise. */
  save(value: unknown): { ok: true; settings: Settings } | { ok: false; errors: SettingsErrors } {
    const { problem } = this.#read()
    if (problem?.includes('Save is refused')) return { ok: false, errors: { settings: problem } }
    const checked = validateSettings(value, this.contexts())
    if (checked.errors) return { ok: false, errors: checked.errors }
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 })
    const aside = `${this.file}.${process.pid}.tmp`
    writeFileSync(aside, `${JSON.stringify(checked.settings, null, 2)}\n`, { mode: 0o600 })
    chmodSync(aside, 0o600) // whatever the umask
    renameSync(aside, this.file)
    return { ok: true, settings: checked.settings }
  }
}
