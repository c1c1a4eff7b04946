import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { leaseDecision, microTime, takeLocalLock, WriterLockHeld, writerIdentity, writerLeases, type LeaseObject } from './writer-lease.ts'

const lease = (holderIdentity: string | undefined, leaseDurationSeconds = 15): LeaseObject => ({ metadata: { name: 'b0d477c0.hashicorp.com', namespace: 'ops' }, spec: { holderIdentity, leaseDurationSeconds } })

describe('leaseDecision', () => {
  const me = 'vault-tray me@laptop pid 1 #aaaaaa'
  it('creates a missing Lease, renews its own, and takes one released by a clean stop', () => {
    expect(leaseDecision(undefined, me, 0, 0)).toBe('create')
    expect(leaseDecision(lease(me), me, 0, 0)).toBe('renew')
    expect(leaseDecision(lease(''), me, 0, 0)).toBe('take')
  })

  it("waits a whole lease duration, by its own clock, from when it last saw someone else's Lease change", () => {
    const theirs = lease('vault-tray other@desk pid 2 #bbbbbb')
    expect(leaseDecision(theirs, me, 14_999, 0)).toBe('held')
    expect(leaseDecision(theirs, me, 15_000, 0)).toBe('take')
    expect(leaseDecision(lease('vso-7f9c_1', 60), me, 59_000, 0)).toBe('held')
  })
})

describe('writerLeases', () => {
  it("takes VSO's Lease in the operator namespace for the whole cluster, one per namespace otherwise, yielding to the cluster's", () => {
    expect(writerLeases('vso', undefined)).toEqual({ leases: [{ namespace: 'vso', name: 'b0d477c0.hashicorp.com' }] })
    expect(writerLeases('vso', ['b', 'a', 'b'])).toEqual({
      leases: [
        { namespace: 'a', name: 'b0d477c0.hashicorp.com' },
        { namespace: 'b', name: 'b0d477c0.hashicorp.com' },
      ],
      yieldTo: { namespace: 'vso', name: 'b0d477c0.hashicorp.com' },
    })
  })
})

describe('microTime and writerIdentity', () => {
  it('writes six fractional digits, as the apiserver wants, and names the user, machine and process', () => {
    expect(microTime(Date.UTC(2026, 11, 7, 1, 2, 3, 456))).toBe('2026-12-07T01:02:03.456000Z')
    expect(writerIdentity()).toMatch(new RegExp(`^vault-tray \\S+@\\S+ pid ${process.pid} #[0-9a-f]{6}$`))
    expect(writerIdentity()).not.toBe(writerIdentity())
  })
})

describe('takeLocalLock', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('refuses a second writer of the same scope with who holds it, and is free again once released', () => {
    dir = mkdtempSync(join(tmpdir(), 'vault-tray-lock-'))
    const release = takeLocalLock(dir, 'lab|all', 'kube-context "lab" (all namespaces)', 'first')
    let refused: unknown
    try {
      takeLocalLock(dir, 'lab|all', 'kube-context "lab" (all namespaces)', 'second')
    } catch (error) {
      refused = error
    }
    expect(refused).toBeInstanceOf(WriterLockHeld)
    expect((refused as Error).message).toContain(`Another Vault Tray (pid ${process.pid}, started `)
    expect((refused as Error).message).toContain('kube-context "lab" (all namespaces)')
    // another scope is another lock
    takeLocalLock(dir, 'lab|ns-a', 'kube-context "lab" (namespace a)', 'third')()
    release()
    takeLocalLock(dir, 'lab|all', 'kube-context "lab" (all namespaces)', 'second')()
    expect(readdirSync(dir)).toEqual([])
  })

  it('takes over a lock whose process is gone, or a file that is not a lock', () => {
    dir = mkdtempSync(join(tmpdir(), 'vault-tray-lock-'))
    const release = takeLocalLock(dir, 'k', 'scope', 'first')
    const [file] = readdirSync(dir)
    release()
    writeFileSync(join(dir, file!), JSON.stringify({ pid: 2 ** 22 + 12_345, identity: 'gone', startedAt: 0 }))
    const again = takeLocalLock(dir, 'k', 'scope', 'new')
    expect(JSON.parse(readFileSync(join(dir, file!), 'utf8'))).toMatchObject({ pid: process.pid, identity: 'new' })
    again()
    writeFileSync(join(dir, file!), 'not json')
    takeLocalLock(dir, 'k', 'scope', 'newer')()
  })
})
