import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fileLedger } from './lease-ledger.ts'

describe('fileLedger', () => {
  it('keeps the entries in a file only the user can read', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ledger-')), 'sync', 'leases.json')
    const ledger = fileLedger(path)
    expect(ledger.load()).toEqual([])
    const entry = { uid: 'u1', namespace: 'ns', name: 'db', leaseId: 'database/creds/app/abc' }
    ledger.save([entry])
    expect(fileLedger(path).load()).toEqual([entry])
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('sets a damaged file aside, says so, and starts empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    const path = join(dir, 'leases.json')
    writeFileSync(path, '{"half": ')
    const problems: string[] = []
    expect(fileLedger(path, (message) => problems.push(message)).load()).toEqual([])
    expect(problems[0]).toMatch(/could not be read .* it was moved to .*leases\.json\.damaged-\d+/)
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^leases\.json\.damaged-\d+$/)])
  })
})
