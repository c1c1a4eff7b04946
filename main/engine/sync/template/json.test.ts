import { describe, expect, it } from 'vitest'
import { FuncError } from './errors.ts'
import { fromJson, toJson } from './json.ts'
import { fromJsonValue, goString, JsonNumber } from './values.ts'

// Expected outputs are Go's encoding/json (Go 1.26).
describe('toJson', () => {
  it('writes compact JSON with sorted keys, escaping <, > and & as Go does', () => {
    const value = fromJsonValue({ s: 'é\u2028<\u0001>&\b\f\t"\\', m: { z: 1, a: { y: null, b: true } } })
    expect(toJson(value)).toBe(goString('{"m":{"a":{"b":true,"y":null},"z":1},"s":"é\\u2028\\u003c\\u0001\\u003e\\u0026\\b\\f\\t\\"\\\\"}'))
    expect(toJson(value, { escapeHTML: false })).toContain(goString('"s":"é\\u2028<\\u0001>&'))
  })

  it('writes float64 as Go: exponent only below 1e-6 or from 1e21', () => {
    expect([0.000001, 1e-7, 100, 1e20, 1e21, -0].map((x) => toJson(x))).toEqual(['0.000001', '1e-7', '100', '100000000000000000000', '1e+21', '-0'])
    expect(toJson(new JsonNumber('1.50'))).toBe('1.50')
    expect(toJson(3n)).toBe('3')
    expect(() => toJson(NaN)).toThrow(FuncError)
  })

  it('indents like json.MarshalIndent, with empty containers kept short', () => {
    expect(toJson(fromJsonValue({ b: [1, 2], a: {} }), { indent: '  ' })).toBe('{\n  "a": {},\n  "b": [\n    1,\n    2\n  ]\n}')
    expect(toJson(fromJsonValue([]), { indent: '  ' })).toBe('[]')
  })

  it('replaces each byte that is not UTF-8 with \\ufffd', () => {
    expect(toJson('a\xffb')).toBe('"a\\ufffdb"')
  })
})

describe('fromJson', () => {
  it('decodes numbers as float64 and strings as Go strings', () => {
    const value = fromJson(goString('{"é":[1,2.5,"ü"]}'))
    expect(value).toEqual(new Map([[goString('é'), [1, 2.5, goString('ü')]]]))
  })

  it('fails without quoting the text, which may be a secret', () => {
    expect(() => fromJson('hunter2')).toThrow(new FuncError('the text is not valid JSON'))
  })

  it('leaves a number beyond float64 as nil, or fails when strict', () => {
    expect(fromJson('[1e400]')).toEqual([null])
    expect(() => fromJson('[1e400]', true)).toThrow(FuncError)
  })
})
