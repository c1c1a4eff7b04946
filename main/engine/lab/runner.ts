// Runs the lab's steps as a graph: each starts once what it needs is done, independent ones side by side. A failed
// step stops only what depends on it, so one `up` gets as far as it can and the next finishes the job. Each step
// says what it changed (or, in a dry run, what it would change), how long it took, and where its log is.
import { appendFileSync } from 'node:fs'
import type { StepId } from './state.ts'

export interface Step<Context> {
  id: StepId
  title: string
  needs: StepId[]
  run(step: StepHandle, context: Context): Promise<void>
}

export interface StepHandle {
  readonly id: StepId
  /** Only look: report what would change, change nothing (`lab status`). */
  readonly dryRun: boolean
  readonly signal: AbortSignal
  /** Something this step changed; in a dry run, something it would have to change. */
  changed(what: string): void
  /** Worth telling, but not a change: a port that moved, a warning. */
  note(what: string): void
  /** A line in the step's log file (never a secret). */
  log(line: string): void
  /** Another log worth reading for this step (a server's own), reported with the step's. */
  alsoLog(file: string): void
  /** Throws if the run was interrupted; called between operations, never inside one. */
  checkpoint(): void
}

export type StepEvent =
  | { kind: 'start'; id: StepId; title: string }
  | { kind: 'done'; id: StepId; title: string; ms: number; changes: string[]; notes: string[]; logs: string[] }
  | { kind: 'failed'; id: StepId; title: string; ms: number; error: string; changes: string[]; notes: string[]; logs: string[] }
  | { kind: 'skipped'; id: StepId; title: string; reason: string }

export type StepOutcome = Exclude<StepEvent, { kind: 'start' }>

export interface RunResult {
  ok: boolean
  interrupted: boolean
  /** One per step, in the order they finished. */
  outcomes: StepOutcome[]
  ms: number
}

export class LabInterrupted extends Error {
  constructor() {
    super('interrupted')
    this.name = 'LabInterrupted'
  }
}

export interface RunOptions {
  dryRun?: boolean
  signal?: AbortSignal
  onEvent?: (event: StepEvent) => void
  /** The log file of each step. */
  logFile: (id: StepId) => string
}

export async function runSteps<Context>(steps: Step<Context>[], context: Context, options: RunOptions): Promise<RunResult> {
  const started = performance.now()
  const signal = options.signal ?? new AbortController().signal
  const byId = new Map(steps.map((step) => [step.id, step]))
  for (const step of steps) for (const need of step.needs) if (!byId.has(need)) throw new Error(`lab step ${step.id} needs ${need}, which is not a step`)
  const outcomes = new Map<StepId, StepOutcome>()
  const running = new Map<StepId, Promise<void>>()
  const emit = (event: StepEvent) => {
    if (event.kind !== 'start') outcomes.set(event.id, event)
    options.onEvent?.(event)
  }
  // in a dry run a step whose prerequisites still need changes cannot be judged: it waits for them
  const satisfied = (id: StepId) => {
    const outcome = outcomes.get(id)
    return outcome?.kind === 'done' && (!options.dryRun || outcome.changes.length === 0)
  }

  const start = (step: Step<Context>) => {
    const changes: string[] = []
    const notes: string[] = []
    const log = options.logFile(step.id)
    const logs = [log]
    const handle: StepHandle = {
      id: step.id,
      dryRun: options.dryRun ?? false,
      signal,
      changed: (what) => {
        changes.push(what)
        handle.log(`${options.dryRun ? 'needs: ' : ''}${what}`)
      },
      note: (what) => {
        notes.push(what)
        handle.log(what)
      },
      log: (line) => {
        if (options.dryRun) return
        try {
          appendFileSync(log, `${new Date().toISOString()} ${line}\n`)
        } catch {
          // a log that cannot be written must not fail the step
        }
      },
      alsoLog: (file) => {
        if (!logs.includes(file)) logs.unshift(file)
      },
      checkpoint: () => {
        if (signal.aborted) throw new LabInterrupted()
      },
    }
    emit({ kind: 'start', id: step.id, title: step.title })
    const begun = performance.now()
    const work = step
      .run(handle, context)
      .then(
        () => emit({ kind: 'done', id: step.id, title: step.title, ms: Math.round(performance.now() - begun), changes, notes, logs }),
        (error: unknown) => {
          const message = error instanceof LabInterrupted ? 'interrupted before it finished' : ((error as Error).message ?? String(error))
          handle.log(`failed: ${message}`)
          emit({ kind: 'failed', id: step.id, title: step.title, ms: Math.round(performance.now() - begun), error: message, changes, notes, logs })
        },
      )
      .finally(() => running.delete(step.id))
    running.set(step.id, work)
  }

  for (;;) {
    // passes until nothing more can be decided: a skip may decide a step listed before it
    for (let decided = -1; decided !== outcomes.size + running.size; ) {
      decided = outcomes.size + running.size
      schedule()
    }
    if (running.size === 0) break
    await Promise.race(running.values())
  }
  const all = steps.map((step) => outcomes.get(step.id)!)
  return {
    ok: all.every((outcome) => outcome?.kind === 'done'),
    interrupted: signal.aborted,
    outcomes: [...outcomes.values()],
    ms: Math.round(performance.now() - started),
  }

  function schedule(): void {
    for (const step of steps) {
      if (outcomes.has(step.id) || running.has(step.id)) continue
      if (signal.aborted) {
        emit({ kind: 'skipped', id: step.id, title: step.title, reason: 'interrupted' })
        continue
      }
      const blocker = step.needs.find((need) => outcomes.has(need) && !satisfied(need))
      if (blocker) {
        const outcome = outcomes.get(blocker)!
        const why = outcome.kind === 'failed' ? 'failed' : outcome.kind === 'skipped' ? 'did not run' : 'is not as it should be yet'
        emit({ kind: 'skipped', id: step.id, title: step.title, reason: `needs “${byId.get(blocker)!.title}”, which ${why}` })
        continue
      }
      if (!step.needs.every(satisfied)) continue
      start(step)
    }
  }
}
