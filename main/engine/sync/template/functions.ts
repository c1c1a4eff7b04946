// The functions a template may call: Go's builtins plus VSO's allowlist of sprig functions (template/funcs.go in
// VSO). Every other name fails when the template is parsed, with a message saying why: not defined, left out by VSO,
// or allowed by VSO but not implemented here yet. Nothing renders silently empty.
import { BUILTINS } from './builtins.ts'
import type { GoFunction } from './signature.ts'
import { DEFAULT_FUNCTIONS } from './sprig/defaults.ts'
import { DICT_FUNCTIONS } from './sprig/dicts.ts'
import { ENCODING_FUNCTIONS } from './sprig/encoding.ts'
import { LIST_FUNCTIONS } from './sprig/lists.ts'
import { MATH_FUNCTIONS } from './sprig/math.ts'
import { PATH_FUNCTIONS } from './sprig/paths.ts'
import { REGEX_FUNCTIONS } from './sprig/regex.ts'
import { CASE_FUNCTIONS } from './sprig/case.ts'
import { STRING_FUNCTIONS } from './sprig/strings.ts'
import { TIME_FUNCTIONS } from './sprig/time.ts'
import { TYPE_FUNCTIONS } from './sprig/types.ts'

/** VSO's allowedSprigFuncs. */
export const VSO_SPRIG_ALLOWLIST: readonly string[] = [
  'abbrev', 'abbrevboth', 'add', 'add1', 'add1f', 'addf', 'adler32sum', 'ago', 'all', 'any', 'append', 'atoi', 'b32dec', 'b32enc',
  'b64dec', 'b64enc', 'base', 'bcrypt', 'biggest', 'buildCustomCert', 'camelcase', 'cat', 'ceil', 'chunk', 'clean', 'coalesce',
  'compact', 'concat', 'contains', 'deepCopy', 'deepEqual', 'default', 'dict', 'dig', 'dir', 'div', 'divf', 'duration',
  'durationRound', 'empty', 'ext', 'fail', 'first', 'float64', 'floor', 'fromJson', 'get', 'has', 'hasKey', 'hasPrefix',
  'hasSuffix', 'htpasswd', 'indent', 'initial', 'initials', 'int', 'int64', 'isAbs', 'join', 'kebabcase', 'keys', 'kindIs',
  'kindOf', 'last', 'list', 'lower', 'max', 'maxf', 'merge', 'mergeOverwrite', 'min', 'minf', 'mod', 'mul', 'mulf', 'mustAppend',
  'mustChunk', 'mustCompact', 'mustDeepCopy', 'mustFirst', 'mustFromJson', 'mustHas', 'mustInitial', 'mustLast', 'mustMerge',
  'mustMergeOverwrite', 'mustPrepend', 'mustPush', 'mustRegexFind', 'mustRegexFindAll', 'mustRegexMatch', 'mustRegexReplaceAll',
  'mustRegexReplaceAllLiteral', 'mustRegexSplit', 'mustRest', 'mustReverse', 'mustSlice', 'mustToDate', 'mustToJson',
  'mustToPrettyJson', 'mustToRawJson', 'mustUniq', 'mustWithout', 'nindent', 'nospace', 'omit', 'osBase', 'osClean', 'osDir',
  'osExt', 'osIsAbs', 'pick', 'pluck', 'plural', 'prepend', 'push', 'quote', 'randInt', 'regexFind', 'regexFindAll', 'regexMatch',
  'regexQuoteMeta', 'regexReplaceAll', 'regexReplaceAllLiteral', 'regexSplit', 'repeat', 'replace', 'rest', 'reverse', 'round',
  'semver', 'semverCompare', 'seq', 'set', 'sha1sum', 'sha256sum', 'sha512sum', 'shuffle', 'slice', 'snakecase', 'sortAlpha',
  'split', 'splitList', 'splitn', 'squote', 'sub', 'subf', 'substr', 'swapcase', 'ternary', 'title', 'toDecimal', 'toJson',
  'toPrettyJson', 'toRawJson', 'toString', 'toStrings', 'trim', 'trimAll', 'trimPrefix', 'trimSuffix', 'trimall', 'trunc', 'tuple',
  'typeIs', 'typeIsLike', 'typeOf', 'uniq', 'unset', 'until', 'untilStep', 'untitle', 'upper', 'urlJoin', 'urlParse', 'values',
  'without', 'wrap', 'wrapWith',
]

/** Sprig functions VSO leaves out: the clock, randomness, the environment, the network, keys and ciphers. */
const NOT_ALLOWED_BY_VSO = new Set([
  'date', 'dateInZone', 'dateModify', 'date_in_zone', 'date_modify', 'decryptAES', 'derivePassword', 'encryptAES', 'env',
  'expandenv', 'genCA', 'genCAWithKey', 'genPrivateKey', 'genSelfSignedCert', 'genSelfSignedCertWithKey', 'genSignedCert',
  'genSignedCertWithKey', 'getHostByName', 'hello', 'htmlDate', 'htmlDateInZone', 'mustDateModify', 'must_date_modify', 'now',
  'randAlpha', 'randAlphaNum', 'randAscii', 'randBytes', 'randNumeric', 'toDate', 'unixEpoch', 'uuidv4',
])

const IMPLEMENTED: Record<string, GoFunction> = {
  ...STRING_FUNCTIONS,
  ...LIST_FUNCTIONS,
  ...DICT_FUNCTIONS,
  ...MATH_FUNCTIONS,
  ...DEFAULT_FUNCTIONS,
  ...ENCODING_FUNCTIONS,
  ...REGEX_FUNCTIONS,
  ...PATH_FUNCTIONS,
  ...TYPE_FUNCTIONS,
  ...TIME_FUNCTIONS,
  ...CASE_FUNCTIONS,
}

/** VSO's function map overrides the builtins (its `slice` is sprig's). */
const SPRIG = new Map(VSO_SPRIG_ALLOWLIST.filter((name) => name in IMPLEMENTED).map((name) => [name, IMPLEMENTED[name]!]))

/** `and` and `or` stop at the first deciding argument, so the executor evaluates them itself. */
export const SHORT_CIRCUIT = new Set(['and', 'or'])

export function lookupFunction(name: string): GoFunction | undefined {
  return SPRIG.get(name) ?? BUILTINS[name]
}

/** Why `name` cannot be called, or undefined when it can. */
export function checkFunction(name: string): string | undefined {
  if (SHORT_CIRCUIT.has(name) || lookupFunction(name)) return undefined
  if (VSO_SPRIG_ALLOWLIST.includes(name)) return `function ${JSON.stringify(name)} is not supported by Vault Tray yet`
  if (NOT_ALLOWED_BY_VSO.has(name)) return `function ${JSON.stringify(name)} is not allowed by VSO, which leaves it out of the sprig functions its templates may call`
  return `function ${JSON.stringify(name)} not defined`
}
