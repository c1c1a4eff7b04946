// The servers' process handling moved to main/engine/lab/process.ts, which the one-click lab shares; this keeps
// the test lab's imports working.
export * from '../../main/engine/lab/process.ts'
