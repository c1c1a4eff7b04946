// Sprig's regex functions over Go regexps. The plain ones fail like the must* ones (sprig's MustCompile panics),
// except regexMatch, which is false for a bad pattern.
import { FuncError } from '../errors.ts'
import { GoRegexp, RegexpError } from '../regexp.ts'
import { fixed, type GoFunction } from '../signature.ts'
import { NIL_LIST } from '../values.ts'

function compile(pattern: string): GoRegexp {
  try {
    return new GoRegexp(pattern)
  } catch (error) {
    if (error instanceof RegexpError) throw new FuncError(error.message)
    throw error
  }
}

const matches = fixed(['string', 'string'], (pattern, s) => compile(pattern).matchString(s))
const find = fixed(['string', 'string'], (pattern, s) => compile(pattern).findString(s))
const findAll = fixed(['string', 'string', 'int'], (pattern, s, n) => compile(pattern).findAllString(s, n) ?? NIL_LIST)
const replaceAll = fixed(['string', 'string', 'string'], (pattern, s, replacement) => compile(pattern).replaceAllString(s, replacement, false))
const replaceAllLiteral = fixed(['string', 'string', 'string'], (pattern, s, replacement) => compile(pattern).replaceAllString(s, replacement, true))
const split = fixed(['string', 'string', 'int'], (pattern, s, n) => compile(pattern).split(s, n) ?? NIL_LIST)

export const REGEX_FUNCTIONS: Record<string, GoFunction> = {
  regexMatch: fixed(['string', 'string'], (pattern, s) => {
    try {
      return new GoRegexp(pattern).matchString(s)
    } catch (error) {
      if (error instanceof RegexpError) return false
      throw error
    }
  }),
  mustRegexMatch: matches,
  regexFind: find,
  mustRegexFind: find,
  regexFindAll: findAll,
  mustRegexFindAll: findAll,
  regexReplaceAll: replaceAll,
  mustRegexReplaceAll: replaceAll,
  regexReplaceAllLiteral: replaceAllLiteral,
  mustRegexReplaceAllLiteral: replaceAllLiteral,
  regexSplit: split,
  mustRegexSplit: split,
  regexQuoteMeta: fixed(['string'], (s) => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')),
}
