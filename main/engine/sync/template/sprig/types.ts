// Sprig's reflection: Go type and kind names of values.
import { fixed, type GoFunction } from '../signature.ts'
import { deepEqual, kindName, typeName } from '../values.ts'

export const TYPE_FUNCTIONS: Record<string, GoFunction> = {
  typeOf: fixed(['any'], typeName),
  typeIs: fixed(['string', 'any'], (target, v) => target === typeName(v)),
  typeIsLike: fixed(['string', 'any'], (target, v) => target === typeName(v) || `*${target}` === typeName(v)),
  kindOf: fixed(['any'], kindName),
  kindIs: fixed(['string', 'any'], (target, v) => target === kindName(v)),
  deepEqual: fixed(['any', 'any'], deepEqual),
}
