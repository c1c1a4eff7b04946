// vitest globalSetup: one lab for the whole run, handed to the tests with provide/inject.
import type { TestProject } from 'vitest/node'
import { describeTimings, startLab, type LabInfo } from './lab.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabInfo
  }
}

export default async function setup(project: TestProject) {
  const lab = await startLab()
  console.log(describeTimings(lab))
  project.provide('lab', lab.info)
  return async () => {
    await lab.stop()
  }
}
