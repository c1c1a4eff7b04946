// The last line of defence against a credential storm: per resource, new credentials (a new lease, a new
// certificate) that no renewal or refreshAfter called for are allowed only a few times in a window. A
// destination that someone else keeps rewriting would otherwise be "repaired" with new credentials each time.
import type { Clock } from '../clock.ts'
import type { KubeSecret } from './destination.ts'

export const MINT_BUDGET = { limit: 3, windowMs: 10 * 60_000 }

export class MintBudget {
  /** Per resource UID, when it minted unscheduled credentials, oldest first. */
  readonly #mints = new Map<string, number[]>()

  constructor(
    private readonly clock: Clock,
    private readonly budget = MINT_BUDGET,
  ) {}

  /** Undefined when the resource may mint now; otherwise how long until it may again. */
  exhausted(uid: string): number | undefined {
    const recent = this.#recent(uid)
    if (recent.length < this.budget.limit) return undefined
    return recent[0]! + this.budget.windowMs - this.clock.now()
  }

  record(uid: string): void {
    this.#mints.set(uid, [...this.#recent(uid), this.clock.now()])
  }

  forget(uid: string): void {
    this.#mints.delete(uid)
  }

  #recent(uid: string): number[] {
    const since = this.clock.now() - this.budget.windowMs
    return (this.#mints.get(uid) ?? []).filter((at) => at > since)
  }
}

interface ManagedFieldsEntry {
  manager?: string
  operation?: string
  time?: string
  fieldsV1?: { 'f:data'?: unknown }
}

/** The field manager that last wrote the Secret's data, other than us: who "someone else" is. */
export function lastDataWriter(secret: KubeSecret | undefined, ourManager: string): string | undefined {
  const entries = ((secret?.metadata as { managedFields?: ManagedFieldsEntry[] } | undefined)?.managedFields ?? []).filter((entry) => entry.fieldsV1?.['f:data'] !== undefined && entry.manager !== ourManager)
  entries.sort((a, b) => Date.parse(b.time ?? '') - Date.parse(a.time ?? ''))
  return entries[0]?.manager
}
