import { describe, expect, it } from 'vitest'
import { chooseStart } from './start.ts'

describe('npm start', () => {
  it('opens the Electron app where its binary exists', () => {
    expect(chooseStart([], '/usr/lib/electron/electron', true)).toMatchObject({ command: 'electron' })
  })

  it('serves the window to the browser without Electron, syncing when there is a kube-context', () => {
    expect(chooseStart([], undefined, true)).toMatchObject({ command: 'daemon', args: ['daemon', '--ui', '--sync'] })
    expect(chooseStart([], undefined, false)).toMatchObject({ command: 'daemon', args: ['daemon', '--ui'], why: expect.stringContaining('without sync until there is a kube-context') })
  })

  it('gives arguments to the daemon, as before', () => {
    expect(chooseStart(['--once'], '/usr/lib/electron/electron', true)).toEqual({ command: 'daemon', args: ['daemon', '--once'], why: 'arguments given: running the daemon with them' })
  })
})
