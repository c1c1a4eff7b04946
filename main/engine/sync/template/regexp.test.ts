import { describe, expect, it } from 'vitest'
import { GoRegexp, RegexpError } from './regexp.ts'
import { goString } from './values.ts'

const re = (pattern: string) => new GoRegexp(goString(pattern))

// Expected results are Go's regexp package (RE2 syntax).
describe('Go regular expressions', () => {
  it('matches unanchored, as MatchString does', () => {
    expect(re('secret').matchString('my_secret_key')).toBe(true)
    expect(re('^secret$').matchString('my_secret_key')).toBe(false)
  })

  it('reads RE2 syntax that JavaScript spells differently', () => {
    expect(re('(?i)^ABC').matchString('abcd')).toBe(true)
    expect(re('(?P<x>b+)').findString('abbbc')).toBe('bbb')
    expect(re('[[:digit:]]+').findString('x92y')).toBe('92')
    expect(re('\\Qa.b\\E+').findString('a.bbb')).toBe('a.bbb')
    expect(re('[]a]+').findString(']a]b')).toBe(']a]')
    expect(re('a{').matchString('a{')).toBe(true)
    expect(re('\\x41\\x{42}').matchString('AB')).toBe(true)
    expect(re('\\pL+').findString(goString('1é2'))).toBe(goString('é'))
    expect(re('\\p{Greek}').matchString(goString('α'))).toBe(true)
  })

  it('gives . and \\s their RE2 meaning: . takes \\r but not \\n, \\s is ASCII', () => {
    expect(re('a.c').matchString('a\rc')).toBe(true)
    expect(re('a.c').matchString('a\nc')).toBe(false)
    expect(re('(?s)a.c').matchString('a\nc')).toBe(true)
    expect(re('^\\S+$').matchString(goString('a\u00a0b'))).toBe(true)
  })

  it('skips an empty match right after a match, as Go does', () => {
    expect(re('a*').replaceAllString('baaac', 'X', false)).toBe('XbXcX')
    expect(re('a*').findAllString('baaac', -1)).toEqual(['', 'aaa', ''])
    expect(re('x*').split('abc', -1)).toEqual(['a', 'b', 'c'])
    expect(re('').replaceAllString('abc', '-', false)).toBe('-a-b-c-')
  })

  it('expands $1, ${name} and $$, a name running as far as it can', () => {
    expect(re('(\\w+)@(\\w+)').replaceAllString('me@host you@there', '$2/$1$$ ${1}x $1x', false)).toBe('host/me$ mex  there/you$ youx ')
    expect(re('a(x*)b').replaceAllString('-ab-axxb-', '${1}', true)).toBe('-${1}-${1}-')
  })

  it('splits with a limit, and gives nil for n = 0', () => {
    expect(re(',').split('a,b,c', 2)).toEqual(['a', 'b,c'])
    expect(re(',').split('', -1)).toEqual([''])
    expect(re(',').split('a,b', 0)).toBeUndefined()
    expect(re('b').findAllString('abc', 0)).toBeUndefined()
  })

  it.each(['(a', '(?=a)', '(?<=a)b', 'a\\1', '\\q', 'x{1001}', '[a'])('rejects %s as RE2 does, without quoting the pattern', (pattern) => {
    expect(() => re(pattern)).toThrow(RegexpError)
    try {
      re(pattern)
    } catch (error) {
      expect((error as Error).message).not.toContain(pattern)
    }
  })
})
