// How VSO resolves `vaultAuthRef` / `vaultConnectionRef` and checks `allowedNamespaces`.
import type { VaultAuth } from './api.ts'

export interface ObjectRef {
  namespace: string
  name: string
}

/** A problem with a field of a resource: which field, and what is wrong with it in plain words. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`)
    this.name = 'FieldError'
  }
}

/**
 * `name` or `ns/name`; empty means `default` in the operator namespace, no prefix the referrer's namespace.
 * More than one `/` is an error.
 */
export function parseRef(ref: string | undefined, field: string, referrerNamespace: string, operatorNamespace: string): ObjectRef {
  if (!ref) return { namespace: operatorNamespace, name: 'default' }
  const parts = ref.split('/')
  if (parts.length > 2 || parts.some((part) => part === '')) throw new FieldError(field, `"${ref}" is not a valid reference: write "name" or "namespace/name".`)
  return parts.length === 2 ? { namespace: parts[0]!, name: parts[1]! } : { namespace: referrerNamespace, name: parts[0]! }
}

export const refKey = (ref: ObjectRef) => `${ref.namespace}/${ref.name}`

/**
 * Unset allows only the VaultAuth's own namespace, `["*"]` allows all, otherwise the list. The VaultAuth named
 * `default` in the operator namespace is always allowed.
 */
export function namespaceAllowed(auth: VaultAuth, consumerNamespace: string, operatorNamespace: string): boolean {
  const { namespace, name } = auth.metadata
  if (namespace === operatorNamespace && name === 'default') return true
  const allowed = auth.spec.allowedNamespaces
  if (!allowed) return consumerNamespace === namespace
  if (allowed.length === 1 && allowed[0] === '*') return true
  return allowed.includes(consumerNamespace)
}
