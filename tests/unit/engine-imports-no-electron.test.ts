// The engine runs headless; ESLint is what keeps electron out of it.
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const eslint = new ESLint({ cwd: process.cwd() })

async function electronErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return result!.messages.filter((message) => message.message.includes('must not depend on electron')).map((message) => message.ruleId ?? '')
}

describe('the engine-must-not-import-electron rule', () => {
  it.each([
    ["import { app } from 'electron'\nexport const a = app", 'no-restricted-imports'],
    ["import type { App } from 'electron'\nexport type A = App", 'no-restricted-imports'],
    ["import { ipcRenderer } from 'electron/renderer'\nexport const r = ipcRenderer", 'no-restricted-imports'],
    ["export const load = () => import('electron')", 'no-restricted-syntax'],
    ["export const e = require('electron')", 'no-restricted-syntax'],
  ])('fails %j under main/engine', async (code, rule) => {
    expect(await electronErrors(code, 'main/engine/vault/example.ts')).toEqual([rule])
  })

  it('allows electron in the shell, and other modules in the engine', async () => {
    expect(await electronErrors("import { app } from 'electron'\nexport const a = app", 'main/app/example.ts')).toEqual([])
    expect(await electronErrors("import { EventEmitter } from 'node:events'\nexport const e = EventEmitter\nexport const l = () => import('electron-log')", 'main/engine/example.ts')).toEqual([])
  })
})
