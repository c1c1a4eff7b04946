// Safe inspection in the window: the keys of one target, masked; a value revealed on request and hidden again on
// Hide, on leaving the view and after REVEAL_SECONDS; copy without revealing, the clipboard cleared again after
// Settings.clipboardClearSeconds if it still holds what we put there; and the KV v2 version history.
//
// A target is named in the route (#/inspect/<key>) as `secret:<namespace>/<name>` or `kv:<mount>:<path>`: a KV
// mount may hold slashes (team/kv), and `:` never appears in a Vault path, so the colon keeps the two apart.
import { BridgeError, isInspectTarget, type InspectResult, type InspectTarget, type KvHistory, type RevealedValue, type VaultTrayApi } from '../../main/contract/index.ts'

/** Characters of a revealed value the window displays; copying always takes the whole value. */
export const DISPLAY_LIMIT = 4096
/** A revealed value hides itself again after this long. */
export const REVEAL_SECONDS = 60
/** Used when the settings cannot be read. */
export const DEFAULT_CLIPBOARD_CLEAR_SECONDS = 20

export const inspect = $state<{
  target?: InspectTarget
  result?: InspectResult
  history?: KvHistory
  loading: boolean
  error?: string
  historyError?: string
  /** Only the values the user revealed, by key; nothing else of a value is ever kept in state. */
  revealed: Record<string, RevealedValue>
  /** What the last copy did, for the status line: never the value. */
  copied?: { key: string; base64: boolean; seconds: number; cleared: boolean }
  copyError?: string
}>({ loading: false, revealed: {} })

export function targetKey(target: InspectTarget): string {
  return target.source === 'secret' ? `secret:${target.namespace}/${target.name}` : `kv:${target.mount}:${target.path}`
}

/** The target a route key names, or undefined when it names none (then the form says what is wrong). */
export function parseTargetKey(key: string | undefined): InspectTarget | undefined {
  const secret = /^secret:([^/]+)\/(.+)$/.exec(key ?? '')
  const kv = /^kv:([^:]+):(.+)$/.exec(key ?? '')
  const target: InspectTarget | undefined = secret ? { source: 'secret', namespace: secret[1]!, name: secret[2]! } : kv ? { source: 'kv', mount: kv[1]!, path: kv[2]! } : undefined
  return target && isInspectTarget(target) ? target : undefined
}

/** What is wrong with a target typed into the form, field by field; empty when it is fine. */
export function checkTarget(target: InspectTarget): Record<string, string> {
  const errors: Record<string, string> = {}
  if (target.source === 'secret') {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(target.namespace) || target.namespace.length > 63) errors.namespace = 'A namespace is lower-case letters, digits and dashes (at most 63), e.g. "default".'
    if (!/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(target.name) || target.name.length > 253) errors.name = 'A Secret name is lower-case letters, digits, dashes and dots, e.g. "app-secret".'
  } else {
    const path = /^(?!.*(^|\/)\.{1,2}(\/|$))[\w.@+=-]+(\/[\w.@+=-]+)*$/
    if (!path.test(target.mount)) errors.mount = 'A mount is a Vault path without leading or trailing slashes, e.g. "secret".'
    if (!path.test(target.path)) errors.path = 'A path names a secret under the mount, e.g. "app/config", without the data/ prefix.'
  }
  return errors
}

export function describeTarget(target: InspectTarget): string {
  return target.source === 'secret' ? `Secret ${target.namespace}/${target.name}` : `${target.mount}/${target.path}`
}

/** "512 B", "3.2 KiB", "1.0 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** What the window displays of a revealed value: its first DISPLAY_LIMIT characters, and whether that is all. */
export function shownValue(revealed: RevealedValue, limit = DISPLAY_LIMIT): { text: string; cut: boolean } {
  const cut = revealed.truncated || revealed.value.length > limit
  return { text: revealed.value.length > limit ? revealed.value.slice(0, limit) : revealed.value, cut }
}

/** One version's change in words: "changed password; added api-key", or why there is nothing to compare. */
export function describeChange(version: KvHistory['versions'][number]): string {
  if (version.destroyed) return 'Destroyed: its data is gone.'
  if (version.deleted) return 'Deleted: its data cannot be read until undeleted.'
  const parts = [
    version.changed.length ? `changed ${version.changed.join(', ')}` : '',
    version.added.length ? `added ${version.added.join(', ')}` : '',
    version.removed.length ? `removed ${version.removed.join(', ')}` : '',
  ].filter(Boolean)
  if (version.comparedWith === undefined) return version.added.length ? `First version kept: ${version.added.join(', ')}.` : 'First version kept: no keys.'
  return `Against version ${version.comparedWith}: ${parts.length ? parts.join('; ') : 'no key changed'}.`
}

// ---- what the view does ----

const hideTimers = new Map<string, ReturnType<typeof setTimeout>>()
/** Counts loads, so an answer for a target the user already left is dropped ($state proxies targets: no identity check). */
let generation = 0

export function hide(key: string): void {
  clearTimeout(hideTimers.get(key))
  hideTimers.delete(key)
  delete inspect.revealed[key]
}

/** Leaving the view, or showing another target, hides every revealed value. */
export function hideAll(): void {
  for (const key of Object.keys(inspect.revealed)) hide(key)
}

/** Shows a target's keys (masked), and for KV v2 its history. */
export async function load(api: VaultTrayApi, target: InspectTarget): Promise<void> {
  hideAll()
  const mine = ++generation
  const current = () => mine === generation
  Object.assign(inspect, { target, result: undefined, history: undefined, error: undefined, historyError: undefined, copied: undefined, copyError: undefined, loading: true })
  try {
    const result = await api.invoke('inspect:keys', target)
    if (!current()) return
    inspect.result = result
    if (target.source === 'kv' && result.version) {
      try {
        const history = await api.invoke('inspect:history', target.mount, target.path)
        if (current()) inspect.history = history
      } catch (error) {
        if (current()) inspect.historyError = (error as Error).message
      }
    }
  } catch (error) {
    if (current()) inspect.error = (error as Error).message
  } finally {
    if (current()) inspect.loading = false
  }
}

export async function reveal(api: VaultTrayApi, key: string, seconds = REVEAL_SECONDS): Promise<void> {
  // a plain object: structured clone (Electron IPC) cannot copy a $state proxy
  const target = $state.snapshot(inspect.target)
  if (!target) return
  const mine = generation
  try {
    const value = await api.invoke('inspect:reveal', target, key)
    if (mine !== generation) return
    inspect.revealed[key] = value
    clearTimeout(hideTimers.get(key))
    hideTimers.set(key, setTimeout(() => hide(key), seconds * 1000))
  } catch (error) {
    inspect.error = (error as Error).message
  }
}

/** The part of the Clipboard API the window uses: navigator.clipboard, or a fake in tests. */
export interface ClipboardLike {
  readText(): Promise<string>
  writeText(text: string): Promise<void>
}

/**
 * Puts a value on the clipboard and takes it off again after a while, but only if the clipboard still holds
 * it (the user may have copied something else meanwhile). A page may touch the clipboard only while focused:
 * if it is not when the time is up, the clearing waits for the focus to come back.
 */
export function clipboardGuard(clipboard: ClipboardLike, whenFocused: (retry: () => void) => void, onCleared: () => void = () => {}) {
  let pending: { text: string; timer: ReturnType<typeof setTimeout> } | undefined
  async function clear(text: string): Promise<void> {
    if (pending?.text !== text) return
    try {
      if ((await clipboard.readText()) === text) await clipboard.writeText('')
      pending = undefined
      onCleared()
    } catch {
      whenFocused(() => void clear(text))
    }
  }
  return {
    async copy(text: string, seconds: number): Promise<void> {
      await clipboard.writeText(text)
      clearTimeout(pending?.timer)
      pending = { text, timer: setTimeout(() => void clear(text), seconds * 1000) }
    },
  }
}

let guard: { clipboard: ClipboardLike; copy: (text: string, seconds: number) => Promise<void> } | undefined

async function clipboardClearSeconds(api: VaultTrayApi): Promise<number> {
  try {
    return (await api.invoke('settings:get')).clipboardClearSeconds
  } catch {
    return DEFAULT_CLIPBOARD_CLEAR_SECONDS
  }
}

/**
 * Copies one value without showing it. In the Electron shell the main process writes the system clipboard and
 * clears it (the value never reaches the window); a browser window gets the value and uses its own clipboard.
 */
export async function copy(api: VaultTrayApi, key: string, clipboard: ClipboardLike = navigator.clipboard): Promise<void> {
  // a plain object: structured clone (Electron IPC) cannot copy a $state proxy
  const target = $state.snapshot(inspect.target)
  if (!target) return
  inspect.copyError = undefined
  try {
    const seconds = await clipboardClearSeconds(api)
    const copied = await api.invoke('inspect:copy', target, key, seconds).catch((error: unknown) => {
      if (error instanceof BridgeError && error.code === 'unavailable') return undefined
      throw error
    })
    if (copied) {
      inspect.copied = { key, base64: copied.encoding === 'base64', seconds, cleared: false }
      return
    }
    const value = await api.invoke('inspect:reveal', target, key)
    if (value.truncated) {
      const cli = target.source === 'kv' ? `vault kv get -mount=${target.mount} -field=${key} ${target.path}` : `kubectl get secret -n ${target.namespace} ${target.name} -o jsonpath='{.data.${key}}'`
      inspect.copyError = `${key} is ${formatBytes(value.bytes)}, too large to copy from the window: use ${cli}`
      return
    }
    if (guard?.clipboard !== clipboard) {
      guard = { clipboard, ...clipboardGuard(clipboard, (retry) => window.addEventListener('focus', retry, { once: true }), markCleared) }
    }
    await guard.copy(value.value, seconds)
    inspect.copied = { key, base64: value.encoding === 'base64', seconds, cleared: false }
  } catch (error) {
    inspect.copyError = `${key} could not be copied: ${(error as Error).message}`
  }
}

const markCleared = () => inspect.copied && (inspect.copied.cleared = true)

/** The main process says when it took a copied value off the clipboard; returns what stops listening. */
export function followClipboard(api: VaultTrayApi): () => void {
  return api.on('clipboard:cleared', markCleared)
}
