// Quick inspection: masked keys first, one value only on the user's explicit request.

/** What a value looks like without showing it. */
export interface MaskedKey {
  key: string
  bytes: number
  binary: boolean
}

export type InspectTarget =
  | { source: 'secret'; namespace: string; name: string }
  | { source: 'kv'; mount: string; path: string; version?: number }

export interface InspectResult {
  target: InspectTarget
  keys: MaskedKey[]
  /** What it is, in words: a Secret's type ("Opaque"), or the KV engine and version ("KV v2, version 3 of 3"). */
  detail: string
  /** KV v2 only: the version shown and the newest, so the window knows a history exists. */
  version?: { shown: number; current: number }
}

/** A KV v2 secret's versions, newest first; the key diff is computed from digests on the main side, never from values here. */
export interface KvHistory {
  current: number
  versions: {
    version: number
    createdAt: string
    deleted: boolean
    destroyed: boolean
    /** The version the diff is against: the nearest earlier one still readable; absent for the first, or when none is. */
    comparedWith?: number
    added: string[]
    removed: string[]
    changed: string[]
  }[]
}

/** What inspect:copy put on the clipboard: never the value itself. */
export interface CopiedValue {
  key: string
  encoding: RevealedValue['encoding']
  bytes: number
}

/**
 * One value, revealed or copied on the user's explicit request. It carries every stored byte (up to a hard cap of
 * 4 MiB), so copying gives exactly the stored bytes; the window itself displays only the first few KiB and says so.
 */
export interface RevealedValue {
  key: string
  /** utf8 for text, base64 for binary values (not valid UTF-8, or control bytes). */
  encoding: 'utf8' | 'base64'
  value: string
  /** The stored size. */
  bytes: number
  /** Set only past the hard cap: `value` then holds just the beginning, and the window refuses to copy it. */
  truncated: boolean
}
