import { describe, expect, it } from 'vitest'
import type { VaultStaticSecret } from './api.ts'
import { isOwnedBy, OWNER_LABELS, type KubeSecret } from './destination.ts'

const owner = { kind: 'VaultStaticSecret', metadata: { name: 'app', namespace: 'ns', uid: 'uid-1' } } as VaultStaticSecret
const secret = (labels: Record<string, string>, refs: KubeSecret['metadata']['ownerReferences']): KubeSecret => ({ metadata: { name: 'app', namespace: 'ns', labels, ownerReferences: refs } })
const ref = { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', name: 'app', uid: 'uid-1' }

describe('isOwnedBy', () => {
  it('needs the owner labels and exactly one ownerReference to this resource', () => {
    expect(isOwnedBy(secret({ ...OWNER_LABELS }, [ref]), owner)).toBe(true)
    expect(isOwnedBy(secret({}, [ref]), owner)).toBe(false)
    expect(isOwnedBy(secret({ ...OWNER_LABELS }, [{ ...ref, uid: 'uid-2' }]), owner)).toBe(false)
    expect(isOwnedBy(secret({ ...OWNER_LABELS }, [ref, { ...ref, name: 'other' }]), owner)).toBe(false)
  })
})
