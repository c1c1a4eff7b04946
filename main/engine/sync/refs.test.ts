import { describe, expect, it } from 'vitest'
import type { VaultAuth } from './api.ts'
import { namespaceAllowed, parseRef } from './refs.ts'

const auth = (namespace: string, name: string, allowedNamespaces?: string[]) => ({ metadata: { namespace, name }, spec: { allowedNamespaces } }) as VaultAuth

describe('parseRef', () => {
  it('resolves empty, bare and namespaced references as VSO does', () => {
    expect(parseRef('', 'spec.vaultAuthRef', 'app', 'vso')).toEqual({ namespace: 'vso', name: 'default' })
    expect(parseRef('static-auth', 'spec.vaultAuthRef', 'app', 'vso')).toEqual({ namespace: 'app', name: 'static-auth' })
    expect(parseRef('vault/conn', 'spec.vaultConnectionRef', 'app', 'vso')).toEqual({ namespace: 'vault', name: 'conn' })
  })

  it('names the field of a malformed reference', () => {
    expect(() => parseRef('a/b/c', 'spec.vaultAuthRef', 'app', 'vso')).toThrow(/^spec\.vaultAuthRef: "a\/b\/c" is not a valid reference/)
  })
})

describe('namespaceAllowed', () => {
  it('allows only its own namespace when unset, everything with ["*"], else the list', () => {
    expect(namespaceAllowed(auth('a', 'x'), 'a', 'vso')).toBe(true)
    expect(namespaceAllowed(auth('a', 'x'), 'b', 'vso')).toBe(false)
    expect(namespaceAllowed(auth('a', 'x', ['*']), 'b', 'vso')).toBe(true)
    expect(namespaceAllowed(auth('a', 'x', ['b', 'c']), 'c', 'vso')).toBe(true)
    expect(namespaceAllowed(auth('a', 'x', ['b']), 'a', 'vso')).toBe(false)
  })

  it('always allows the default VaultAuth of the operator namespace', () => {
    expect(namespaceAllowed(auth('vso', 'default'), 'anywhere', 'vso')).toBe(true)
  })
})
