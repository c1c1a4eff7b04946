// The contract between the engine, the shell and the window: the types that cross the process boundary and the
// channels they cross on. It sits at the bottom of the house and imports nothing of the engine, the shell or the
// renderer; all three import it. Secret values never ride on it: records carry state, messages and diagnoses.
export * from './channels.ts'
export type * from './events.ts'
export type * from './health.ts'
export type * from './inspect.ts'
export type * from './lab.ts'
export type * from './leases.ts'
export type * from './proxy.ts'
export type * from './settings.ts'
export type * from './sync.ts'
