// The leases this engine must revoke when their VaultDynamicSecret is deleted (`spec.revoke`). No finalizer
// holds a deletion for us, so a deletion made while the laptop was away is only noticed at the next start:
// the ledger remembers each lease until then. It holds lease IDs and names, never credentials.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface LedgerEntry {
  uid: string
  namespace: string
  name: string
  leaseId: string
  vaultAuthRef?: string
}

export interface LeaseLedger {
  load(): LedgerEntry[]
  save(entries: LedgerEntry[]): void
}

export function memoryLedger(): LeaseLedger {
  let kept: LedgerEntry[] = []
  return { load: () => kept, save: (entries) => (kept = entries) }
}

/** A JSON file only the user can read; a damaged one is set aside (never half-read) and the ledger starts empty. */
export function fileLedger(path: string, onProblem: (message: string) => void = () => {}): LeaseLedger {
  return {
    load() {
      let text: string
      try {
        text = readFileSync(path, 'utf8')
      } catch {
        return []
      }
      try {
        const entries = JSON.parse(text) as LedgerEntry[]
        if (!Array.isArray(entries) || entries.some((entry) => typeof entry.uid !== 'string' || typeof entry.leaseId !== 'string')) throw new Error('not a list of leases')
        return entries
      } catch (error) {
        const aside = `${path}.damaged-${Date.now()}`
        renameSync(path, aside)
        onProblem(`The lease ledger ${path} could not be read (${(error as Error).message}); it was moved to ${aside}. Leases of resources deleted while the engine was stopped will not be revoked: revoke them in Vault if needed.`)
        return []
      }
    },
    save(entries) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
      const next = `${path}.next`
      writeFileSync(next, JSON.stringify(entries, null, 1), { mode: 0o600 })
      renameSync(next, path)
    },
  }
}
