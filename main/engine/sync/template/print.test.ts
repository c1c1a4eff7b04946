import { describe, expect, it } from 'vitest'
import { formatFloat, formatValue, goQuote, sprint, sprintf } from './print.ts'
import { fromJsonValue, goString, JsonNumber } from './values.ts'

// Expected outputs are Go's fmt and strconv (Go 1.26).
describe('formatFloat', () => {
  it.each([
    [1e6, 'g', -1, '1e+06'],
    [123456, 'g', -1, '123456'],
    [1234567, 'g', -1, '1.234567e+06'],
    [0.0001, 'g', -1, '0.0001'],
    [0.00001, 'g', -1, '1e-05'],
    [1e100, 'g', -1, '1e+100'],
    [5e-324, 'g', -1, '5e-324'],
    [-0, 'g', -1, '-0'],
    [0.5, 'f', 0, '0'],
    [1.5, 'f', 0, '2'],
    [2.5, 'f', 0, '2'],
    [0.25, 'f', 1, '0.2'],
    [1.005, 'f', 2, '1.00'],
    [1234.5678, 'g', 3, '1.23e+03'],
    [12345.678, 'e', 2, '1.23e+04'],
    [0, 'e', 6, '0.000000e+00'],
    [3.5, 'x', -1, '0x1.cp+01'],
    [-0.1, 'X', -1, '-0X1.999999999999AP-04'],
    [NaN, 'g', -1, 'NaN'],
    [-Infinity, 'g', -1, '-Inf'],
  ] as const)('%d %s %d → %s', (x, fmt, prec, expected) => {
    expect(formatFloat(x, fmt, prec)).toBe(expected)
  })
})

describe('fmt', () => {
  it('prints values as %v does: maps sorted, nil as <nil>, json.Number as written', () => {
    const value = fromJsonValue({ b: [1, 'x', null], a: { c: true } })
    expect(formatValue(value)).toBe('map[a:map[c:true] b:[1 x <nil>]]')
    expect(formatValue(new JsonNumber('1.50'))).toBe('1.50')
    expect(sprint([1n, 2n, 'a', 'b', 3n, null])).toBe('1 2ab3 <nil>')
  })

  it.each([
    ['%08.3f|%+08d|%x|% X|%#o|%O|%b|%c%c|%q|%U|%#U', [-3.14159, 42n, -255n, 'hi', 8n, 8n, 5n, 233n, 128512n, 233n, 233n, 233n], "-003.142|+0000042|-ff|68 69|010|0o10|101|é😀|'é'|U+00E9|U+00E9 'é'"],
    ['%s %10s|%-10s|%.1s', ['é', 'é', 'é', 'éa'], 'é          é|é         |é'],
    ['%q %+q %#q %#q', ['é\x01', 'é', 'ab', 'a`b'], '"é\\x01" "\\u00e9" `ab` "a`b"'],
    ['%*d|%-*d|%.*f', [5n, 1n, 5n, 2n, 2n, 3.14159], '    1|2    |3.14'],
    ['%6.2f|%-8.3e|%+g', [-0.005, 12, 3], ' -0.01|1.200e+01|+3'],
    ['%05s|%.2s|%5t', ['ab', 'héllo', true], '000ab|hé| true'],
    ['%d %s %d', [1.5, null], '%!d(float64=1.5) %!s(<nil>) %!d(MISSING)'],
    ['%s', ['a', 1n, null], 'a%!(EXTRA int=1, <nil>)'],
    ['%T %T %T', [1n, 'x', fromJsonValue([1])], 'int string []interface {}'],
    ['100%', [], '100%!(NOVERB)'],
  ] as const)('%s', (format, args, expected) => {
    expect(sprintf(goString(format), args.map((arg) => (typeof arg === 'string' ? goString(arg) : arg)))).toBe(goString(expected))
  })

  it('quotes like strconv.Quote, bytes that are not UTF-8 as \\x', () => {
    expect(goQuote(goString('a"b\\\n\té'))).toBe(goString('"a\\"b\\\\\\n\\té"'))
    expect(goQuote('\xff\x00')).toBe('"\\xff\\x00"')
  })
})
