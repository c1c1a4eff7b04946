import { describe, expect, it } from 'vitest'
import { checkFunction, lookupFunction, VSO_SPRIG_ALLOWLIST } from './functions.ts'
import { TemplateSet } from './template.ts'
import { fromJsonValue, GoStruct } from './values.ts'

const SECRETS = {
  username: 'app',
  password: 's3cr3t',
  port: 5432,
  list: ['b', 'a', 'c', 'a'],
  nested: { a: { b: 'deep' } },
  empty: '',
  zero: 0,
  unicode: 'héllo wörld',
}

function render(text: string): string {
  const set = new TemplateSet()
  set.parse('t', text)
  return set.execute('t', new GoStruct('*helpers.SecretInput', new Map([['Secrets', { value: fromJsonValue(SECRETS), json: 'secrets' }]]))).toString('utf8')
}

describe('function names', () => {
  it('knows all 179 sprig functions VSO allows', () => {
    expect(VSO_SPRIG_ALLOWLIST).toHaveLength(179)
    expect(new Set(VSO_SPRIG_ALLOWLIST).size).toBe(179)
  })

  it('implements every allowed function but these, which fail at parse time instead of rendering nothing', () => {
    const missing = VSO_SPRIG_ALLOWLIST.filter((name) => !lookupFunction(name))
    expect(missing).toEqual(['ago', 'bcrypt', 'buildCustomCert', 'htpasswd', 'mustToDate', 'semver', 'semverCompare', 'urlJoin', 'urlParse'])
    for (const name of missing) expect(checkFunction(name)).toBe(`function "${name}" is not supported by Vault Tray yet`)
    expect(() => new TemplateSet().parse('t', '{{ semverCompare ">=1.0" "1.2.3" }}')).toThrow('template: t:1:3: function "semverCompare" is not supported by Vault Tray yet')
  })

  it.each(['now', 'date', 'dateInZone', 'env', 'expandenv', 'uuidv4', 'randAlphaNum', 'randBytes', 'genPrivateKey', 'genCA', 'encryptAES', 'decryptAES', 'derivePassword', 'getHostByName', 'toDate'])(
    'refuses %s, which VSO does not allow',
    (name) => {
      expect(() => new TemplateSet().parse('t', `{{ ${name} }}`)).toThrow(`template: t:1:3: function "${name}" is not allowed by VSO, which leaves it out of the sprig functions its templates may call`)
    },
  )

  it('says a name that is neither Go nor sprig is not defined, as Go does', () => {
    expect(checkFunction('gte')).toBe('function "gte" not defined')
    expect(checkFunction('and')).toBeUndefined()
    expect(checkFunction('printf')).toBeUndefined()
  })
})

// Expected outputs were produced by Go's text/template with VSO's function map (Go 1.26, sprig 3.3.0), except where
// a comment says otherwise.
describe('sprig functions', () => {
  it.each([
    ['{{ get .Secrets "password" }}|{{ get .Secrets "missing" }}|{{ dig "nested" "a" "b" "none" .Secrets }}|{{ dig "nested" "x" "none" .Secrets }}', 's3cr3t||deep|none'],
    ['{{ default "d" .Secrets.missing }} {{ default "d" .Secrets.empty }} {{ .Secrets.username | default "d" }} {{ default 5 0 }}', 'd d app 5'],
    ['{{ empty .Secrets.zero }} {{ empty .Secrets.list }} {{ empty "0" }} {{ coalesce .Secrets.empty .Secrets.missing "c" }} {{ ternary "yes" "no" (eq .Secrets.username "app") }} {{ all 1 "a" }} {{ any 0 "" }}', 'false false false c yes true false'],
    ['{{ quote "a\\"b" 1 nil .Secrets.port }}|{{ squote "a" 1 }}|{{ cat "a" 1 nil "b" }}', '"a\\"b" "1" "5432"|\'a\' \'1\'|a 1 b'],
    ['{{ indent 2 "a\\nb" }}|{{ nindent 4 "x: 1" }}', '  a\n  b|\n    x: 1'],
    ['{{ trim "  a b \\n" }}|{{ trimAll "$" "$$a$$" }}|{{ trimPrefix "a" "aab" }}|{{ trimSuffix "b" "abb" }}', 'a b|a|ab|ab'],
    ['{{ upper .Secrets.unicode }}|{{ lower "ÀBC" }}|{{ title "hello world-foo_bar" }}|{{ untitle "Hello World" }}|{{ swapcase "Hello World" }}', 'HÉLLO WÖRLD|àbc|Hello World-Foo_bar|hello world|hELLO wORLD'],
    ['{{ replace "a" "o" "banana" }}|{{ split "," "a,b,c" }}|{{ splitList "," "a,b,,c" }}|{{ splitn "," 2 "a,b,c" }}|{{ join "-" .Secrets.list }}|{{ (split "/" "ns/name")._1 }}', 'bonono|map[_0:a _1:b _2:c]|[a b  c]|map[_0:a _1:b,c]|b-a-c-a|name'],
    ['{{ contains "ell" "hello" }} {{ hasPrefix "he" "hello" }} {{ hasSuffix "lo" "hello" }} {{ repeat 3 "ab" }} {{ substr 1 3 "hello" }} {{ trunc 3 "hello" }} {{ trunc -2 "hello" }} {{ nospace " a b\\tc " }}', 'true true true ababab el hel lo abc'],
    ['{{ abbrev 8 "hello world" }}|{{ initials "hello big world" }}|{{ wrap 10 "the quick brown fox jumps" }}|{{ wrapWith 5 "<br>" "helloworld abc" }}|{{ plural "one" "many" 2 }}', 'hello...|hbw|the quick\nbrown fox\njumps|hello<br>world<br>abc|many'],
    ['{{ camelcase "http_server_name" }} {{ snakecase "HTTPServerName" }} {{ kebabcase "FooBar2Baz" }} {{ snakecase "Bld4Floor" }} {{ snakecase "HTTP2xx" }}', 'HttpServerName http_server_name foo-bar2-baz bld4_floor http_2xx'],
    ['{{ b64enc "héllo" }} {{ b64dec "aMOpbGxv" }} {{ b64dec "not base64!" }} {{ b32enc "hello" }} {{ b32dec "NBSWY3DP" }}', 'aMOpbGxv héllo illegal base64 data at input byte 3 NBSWY3DP hello'],
    ['{{ sha1sum "a" }} {{ sha256sum "a" }} {{ adler32sum "hello" }}', '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8 ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb 103547413'],
    ['{{ toJson .Secrets.nested }} {{ toJson "<a&b>" }} {{ toRawJson "<a&b>" }} {{ mustToJson (list 1 2.5 nil) }}', '{"a":{"b":"deep"}} "\\u003ca\\u0026b\\u003e" "<a&b>" [1,2.5,null]'],
    ['{{ toPrettyJson (dict "b" (list 1 2) "a" (dict)) }}', '{\n  "a": {},\n  "b": [\n    1,\n    2\n  ]\n}'],
    ['{{ $d := fromJson "{\\"a\\":1,\\"b\\":[true,null]}" }}{{ $d.a }} {{ $d.b }} {{ typeOf $d.a }} {{ fromJson "not json" }} {{ mustFromJson "[1]" }}', '1 [true <nil>] float64 <no value> [1]'],
    ['{{ regexMatch "^[a-z]+$" "abc" }} {{ regexFind "[0-9]+" "ab123cd45" }} {{ regexFindAll "[0-9]+" "ab123cd45" -1 }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }} {{ regexSplit "z+" "pizza" -1 }} {{ mustRegexMatch "(?i)^APP$" .Secrets.username }}', 'true 123 [123 45] -W-xxW- -${1}-${1}- [pi a] true'],
    // keys and values come in Go's random map order; here they are sorted by key
    ['{{ $d := dict "a" 1 "b" "x" "c" }}{{ $d }} {{ hasKey $d "b" }} {{ keys $d }} {{ values $d }} {{ pick $d "a" "zz" }} {{ omit $d "a" }} {{ set $d "z" 9 }} {{ unset $d "a" }} {{ $d }}', 'map[a:1 b:x c:] true [a b c] [1 x ] map[a:1] map[b:x c:] map[a:1 b:x c: z:9] map[b:x c: z:9] map[b:x c: z:9]'],
    ['{{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }} {{ merge (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "y" 2)) }} {{ mergeOverwrite (dict "a" 1 "k" 1) (dict "a" 2 "b" nil) }} {{ deepCopy .Secrets.nested }}', '[1 3] map[a:1 b:3 n:map[x:1 y:2]] map[a:2 b:<nil> k:1] map[a:map[b:deep]]'],
    ['{{ list 1 "a" nil }} {{ first .Secrets.list }} {{ last .Secrets.list }} {{ rest .Secrets.list }} {{ initial .Secrets.list }} {{ append .Secrets.list "z" }} {{ prepend .Secrets.list "z" }} {{ concat (list 1) (list 2 3) }}', '[1 a <nil>] b a [a c a] [b a c] [b a c a z] [z b a c a] [1 2 3]'],
    ['{{ reverse .Secrets.list }} {{ uniq .Secrets.list }} {{ without .Secrets.list "a" }} {{ has "a" .Secrets.list }} {{ compact (list 1 "" nil 0 "x") }} {{ sortAlpha .Secrets.list }} {{ slice .Secrets.list 1 3 }} {{ chunk 2 (list 1 2 3) }}', '[a c a b] [b a c] [b c] true [1 x] [a a b c] [a c] [[1 2] [3]]'],
    ['{{ add 1 2 3 }} {{ add "4" 1.9 }} {{ sub 5 2 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ max 1 5 3 }} {{ min 4 2 }} {{ add1 .Secrets.port }} {{ biggest 1 9 }}', '6 5 3 24 3 1 5 2 5433 9'],
    ['{{ addf 0.1 0.2 }} {{ subf 1 0.9 }} {{ mulf 1.1 3 }} {{ divf 1 3 }} {{ maxf 1 2.5 }} {{ minf 1 2.5 }} {{ ceil 1.2 }} {{ floor 1.8 }} {{ round 1.2345 2 }} {{ add1f 1.5 }}', '0.3 0.1 3.3 0.3333333333333333 2.5 1 2 1 1.23 2.5'],
    ['{{ atoi "42" }} {{ atoi "x" }} {{ int "0x1F" }} {{ int64 "12.0" }} {{ float64 "1.5" }} {{ int 3.9 }} {{ toString 12 }} {{ toString .Secrets.port }} {{ toStrings (list 1 "a" nil) }} {{ toDecimal "0755" }}', '42 0 31 12 1.5 3 12 5432 [1 a] 493'],
    ['{{ seq 5 }}|{{ seq 2 5 }}|{{ seq 5 -1 1 }}|{{ until 3 }}|{{ untilStep 0 10 3 }}', '1 2 3 4 5|2 3 4 5|5 4 3 2 1|[0 1 2]|[0 3 6 9]'],
    ['{{ kindOf .Secrets.port }} {{ kindOf .Secrets.list }} {{ kindOf .Secrets }} {{ kindOf nil }} {{ typeOf 1 }} {{ typeOf 1.5 }} {{ typeOf "a" }} {{ typeOf .Secrets.list }} {{ kindIs "map" .Secrets }} {{ typeIs "string" "x" }} {{ typeIsLike "string" "x" }} {{ deepEqual (list 1 2) (list 1 2) }}', 'string slice map invalid int float64 string []interface {} true true true true'],
    ['{{ base "/a/b.txt" }} {{ dir "/a/b.txt" }} {{ ext "x.tar.gz" }} {{ clean "a//b/../c/." }} {{ isAbs "/x" }} {{ osBase "/a/b/" }} {{ osDir "a" }} {{ osClean "" }} {{ osExt "a.b" }} {{ osIsAbs "x" }}', 'b.txt /a .gz a/c true b . . .b false'],
    ['{{ duration "85" }} {{ durationRound "2h10m" }} {{ durationRound "400h" }}', '1m25s 2h 16d'],
    ['{{ regexQuoteMeta "a.b*c" }} {{ len (shuffle "abcdef") }} {{ $n := randInt 1 3 }}{{ or (eq $n 1) (eq $n 2) }}', 'a\\.b\\*c 6 true'],
    ['{{ tuple 1 2 }} {{ mustAppend (list 1) 2 }} {{ mustPush (list) 1 }} {{ mustPrepend (list 1) 0 }} {{ mustFirst (list 1) }} {{ mustLast (list 1 2) }} {{ mustRest (list 1 2) }} {{ mustInitial (list 1 2) }} {{ mustReverse (list 1 2) }} {{ mustUniq (list 1 1) }} {{ mustWithout (list 1 2) 1 }} {{ mustHas 1 (list 1) }} {{ mustSlice (list 1 2 3) 1 }} {{ mustChunk 1 (list 1) }} {{ mustCompact (list "" 1) }}', '[1 2] [1 2] [1] [0 1] 1 2 [2] [1] [2 1] [1] [2] true [2 3] [[1]] [1]'],
    ['{{ mustMerge (dict "a" 1) (dict "b" 2) }} {{ mustMergeOverwrite (dict "a" 1) (dict "a" 2) }} {{ mustDeepCopy (list 1) }} {{ mustToPrettyJson (list 1) }} {{ mustToRawJson "<" }} {{ mustRegexFind "b+" "abbc" }} {{ mustRegexFindAll "b" "abcb" -1 }} {{ mustRegexReplaceAll "b" "abc" "x" }} {{ mustRegexReplaceAllLiteral "b" "abc" "$1" }} {{ mustRegexSplit "b" "abc" -1 }} {{ trimall "x" "xax" }} {{ abbrevboth 5 10 "1234 5678 9123 4567" }}', 'map[a:1 b:2] map[a:2] [1] [\n  1\n] "<" bb [b b] axc a$1c [a c] a ...5678...'],
  ])('%s', (text, expected) => {
    expect(render(text)).toBe(expected)
  })

  it('reads integers wherever sprig reads int64 (Go renders `duration 90` as 0s, as sprig wants an int64)', () => {
    expect(render('{{ duration 90 }} {{ duration (int64 .Secrets.port) }}')).toBe('1m30s 1h30m32s')
  })

  it('fails with sprig messages on the wrong kind of argument', () => {
    expect(() => render('{{ first "abc" }}')).toThrow('error calling first: Cannot find first on type string')
    expect(() => render('{{ div 1 0 }}')).toThrow('error calling div: runtime error: integer divide by zero')
    expect(() => render('{{ set nil "a" 1 }}')).toThrow('error calling set: assignment to entry in nil map')
    expect(() => render('{{ toRawJson (divf 1 0) }}')).toThrow('error calling divf: decimal division by zero')
  })
})
