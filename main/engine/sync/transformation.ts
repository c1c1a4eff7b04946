// VSO's secret data assembly (helpers/template.go, helpers/secrets.go): gather the destination's templates (inline
// and from SecretTransformations), render them over the Vault data, then add `_raw` and the filtered source keys.
// Errors name the field and the template, and never carry a secret value.
import type { SecretTransformationSpec, Transformation, TransformationRef } from './api.ts'
import { FieldError } from './refs.ts'
import { toJson } from './template/json.ts'
import { GoRegexp, RegexpError } from './template/regexp.ts'
import { TemplateError, TemplateSet } from './template/template.ts'
import { bytesOf, fromJsonValue, goString, GoStruct, sortedKeys, textOf, type GoMap, type Value } from './template/values.ts'

/** A SecretTransformation a ref points at, already fetched by the caller. */
export interface ResolvedTransformationRef {
  ref: TransformationRef
  namespace: string
  spec: SecretTransformationSpec
  valid: boolean
}
export interface TransformationInput {
  /** `.Secrets`: kv-v2's inner data, or the response data of other engines. */
  secrets: Record<string, unknown>
  /** `.Metadata`: kv-v2 metadata, else {}. */
  metadata: Record<string, unknown>
  /** The custom resource's own labels and annotations. */
  labels: Record<string, string>
  annotations: Record<string, string>
  /** The whole response `.data`, written as `_raw` unless excluded. */
  raw: unknown
  /** `<ns>/<name>` of the custom resource, for default template names and messages. */
  owner: { namespace: string; name: string }
}

/** A transformation that cannot be applied: the field at fault and what to change. */
export class TransformationError extends FieldError {
  constructor(field: string, message: string) {
    super(field, message)
    this.name = 'TransformationError'
  }
}

export const RAW_KEY = '_raw'
const FIELD = 'spec.destination.transformation'

/** Where a template or filter was configured: the destination's field, and within a ref, which part of it. */
interface Origin {
  field: string
  /** e.g. `SecretTransformation apps/shared templates.dsn` */
  within?: string
}

/** A template to parse; `key` is the Secret data key it renders, or undefined for a source template. */
interface KeyedTemplate extends Origin {
  key?: string
  name: string
  text: string
}

interface Filter extends Origin {
  pattern: string
}

const problem = (origin: Origin, message: string) => new TransformationError(origin.field, origin.within ? `${origin.within}: ${message}` : message)

interface Gathered {
  templates: KeyedTemplate[]
  includes: Filter[]
  excludes: Filter[]
  errors: TransformationError[]
}

const sortedEntries = <T>(record: Record<string, T> | undefined): [string, T][] => Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** Collects the inline templates and those of the refs, as VSO's gatherTemplates does. */
function gatherTemplates(transformation: Transformation | undefined, refs: ResolvedTransformationRef[], owner: TransformationInput['owner']): Gathered {
  const gathered: Gathered = { templates: [], includes: [], excludes: [], errors: [] }
  const names = new Set<string>()
  const keys = new Set<string>()
  const add = (template: KeyedTemplate) => {
    if (names.has(template.name)) {
      gathered.errors.push(problem(template, `two templates are named "${template.name}": template names must be unique across the destination and its SecretTransformations; rename one.`))
      return
    }
    if (template.key !== undefined && keys.has(template.key)) {
      gathered.errors.push(problem(template, `two templates write the Secret key "${template.key}": give one a different key (keyOverride for a templateRef).`))
      return
    }
    names.add(template.name)
    if (template.key !== undefined) keys.add(template.key)
    gathered.templates.push(template)
  }

  for (const [key, template] of sortedEntries(transformation?.templates)) {
    add({ key, name: template.name || `${owner.namespace}/${owner.name}/${key}`, text: template.text, field: `${FIELD}.templates.${key}` })
  }
  transformation?.includes?.forEach((pattern, i) => gathered.includes.push({ pattern, field: `${FIELD}.includes[${i}]` }))
  transformation?.excludes?.forEach((pattern, i) => gathered.excludes.push({ pattern, field: `${FIELD}.excludes[${i}]` }))

  const seenRefs = new Set<string>()
  refs.forEach(({ ref, namespace, spec, valid }, i) => {
    const field = `${FIELD}.transformationRefs[${i}]`
    const objKey = `${namespace}/${ref.name}`
    if (seenRefs.has(objKey)) {
      gathered.errors.push(new TransformationError(field, `SecretTransformation ${objKey} is referenced twice: remove the duplicate ref.`))
      return
    }
    seenRefs.add(objKey)
    if (!valid) {
      gathered.errors.push(new TransformationError(field, `SecretTransformation ${objKey} is not valid (see its status.error): fix its templates first.`))
      return
    }
    const within = (part: string) => ({ field, within: `SecretTransformation ${objKey} ${part}` })
    if (!ref.ignoreExcludes) spec.excludes?.forEach((pattern, j) => gathered.excludes.push({ pattern, ...within(`excludes[${j}]`) }))
    if (!ref.ignoreIncludes) spec.includes?.forEach((pattern, j) => gathered.includes.push({ pattern, ...within(`includes[${j}]`) }))

    const templateRefs = ref.templateRefs ?? []
    templateRefs.forEach((templateRef, j) => {
      const template = spec.templates?.[templateRef.name]
      const refField = `${field}.templateRefs[${j}]`
      if (!template) {
        gathered.errors.push(new TransformationError(refField, `SecretTransformation ${objKey} has no template "${templateRef.name}": use one of its spec.templates keys.`))
        return
      }
      add({ key: templateRef.keyOverride || templateRef.name, name: template.name || `${objKey}/${templateRef.name}`, text: template.text, field: refField, within: `SecretTransformation ${objKey} templates.${templateRef.name}` })
    })
    spec.sourceTemplates?.forEach((source, j) => add({ name: source.name || `${objKey}/${j}`, text: source.text, ...within(`sourceTemplates[${j}]`) }))
    // with no templateRefs every template of the ref is rendered; a key the destination already has stays its own
    if (templateRefs.length === 0) {
      for (const [key, template] of sortedEntries(spec.templates)) {
        if (keys.has(key) || names.has(key)) continue
        add({ key, name: template.name || `${objKey}/${key}`, text: template.text, ...within(`templates.${key}`) })
      }
    }
  })
  // VSO parses source templates first, then by key and name: later definitions of a shared `define` win
  const order = (t: KeyedTemplate) => `${t.key ?? ''}0${t.name}`
  gathered.templates.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
  return gathered
}

/** Parses every template into one set, so any template can call another by name. */
function parseTemplates(templates: KeyedTemplate[]): { set: TemplateSet; errors: TransformationError[] } {
  const set = new TemplateSet()
  const errors: TransformationError[] = []
  for (const template of templates) {
    try {
      set.parse(template.name, template.text)
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error
      errors.push(problem(template, `the template does not parse: ${error.message}`))
    }
  }
  return { set, errors }
}

function compileFilters(filters: Filter[], errors: TransformationError[], kind: string): GoRegexp[] {
  return filters.flatMap((filter) => {
    try {
      return [new GoRegexp(goString(filter.pattern))]
    } catch (error) {
      if (!(error instanceof RegexpError)) throw error
      errors.push(problem(filter, `this ${kind} pattern is not a valid Go regular expression (${error.message}).`))
      return []
    }
  })
}

function rawKeyErrors(templates: KeyedTemplate[]): TransformationError[] {
  return templates
    .filter((template) => template.key === RAW_KEY)
    .map((template) => problem(template, `"${RAW_KEY}" is where the whole Vault response is written: render this template to another key, or set excludeRaw.`))
}

/** `.Secrets` and friends, shaped as VSO's helpers.SecretInput. */
function templateInput(secrets: GoMap, input: TransformationInput): GoStruct {
  const strings = (record: Record<string, string>): GoMap => new Map(Object.entries(record).map(([key, value]) => [goString(key), goString(value)]))
  return new GoStruct(
    '*helpers.SecretInput',
    new Map<string, { value: Value; json?: string }>([
      ['Secrets', { value: secrets, json: 'secrets' }],
      // only wrapped responses have wrap data; none reach here
      ['WrapData', { value: new Map() }],
      ['Metadata', { value: fromJsonValue(input.metadata), json: 'metadata' }],
      ['Annotations', { value: strings(input.annotations), json: 'annotations' }],
      ['Labels', { value: strings(input.labels), json: 'labels' }],
    ]),
  )
}

/** A source value as VSO stores it: a string as its bytes, anything else as Go's JSON. */
const sourceBytes = (value: Value): Buffer => bytesOf(typeof value === 'string' ? value : toJson(value))

/**
 * The destination Secret's data: `_raw` (unless excluded), then the rendered templates, then the source keys that
 * pass the filters and are not already set. Throws TransformationError.
 */
export function buildSecretData(input: TransformationInput, transformation: Transformation | undefined, refs: ResolvedTransformationRef[], options: { excludeRaw?: boolean } = {}): Record<string, Buffer> {
  const excludeRaw = Boolean(options.excludeRaw || transformation?.excludeRaw)
  const gathered = gatherTemplates(transformation, refs, input.owner)
  const { set, errors } = parseTemplates(gathered.templates)
  const problems = [...gathered.errors, ...errors, ...(excludeRaw ? [] : rawKeyErrors(gathered.templates))]
  const excludes = compileFilters(gathered.excludes, problems, 'excludes')
  const includes = compileFilters(gathered.includes, problems, 'includes')
  if (problems.length > 0) throw problems[0]

  // rendered from the same map VSO then filters, so a template's `set .Secrets` shows in the source keys, as in VSO
  const secrets = fromJsonValue(input.secrets) as GoMap
  const data: Record<string, Buffer> = {}
  if (!excludeRaw) {
    if (secrets.has(RAW_KEY)) throw new TransformationError(FIELD, `the Vault data has a key named "${RAW_KEY}", which would overwrite the whole-response copy: set excludeRaw, or exclude the key.`)
    data[RAW_KEY] = bytesOf(toJson(fromJsonValue(input.raw)))
  }
  const dot = templateInput(secrets, input)
  for (const template of gathered.templates) {
    if (template.key === undefined) continue
    try {
      data[template.key] = set.execute(template.name, dot)
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error
      throw problem(template, `the template failed: ${error.message}`)
    }
  }
  for (const key of sortedKeys(secrets)) {
    if (excludes.some((re) => re.matchString(key))) continue
    if (includes.length > 0 && !includes.some((re) => re.matchString(key))) continue
    const name = textOf(key)
    if (!(name in data)) data[name] = sourceBytes(secrets.get(key))
  }
  return data
}

/**
 * Checks a destination's transformation without any Vault data: refs usable, template names unique, every template
 * parses, filters are valid regexes. Returns every problem found.
 */
export function validateTransformation(transformation: Transformation | undefined, refs: ResolvedTransformationRef[], owner: TransformationInput['owner'], options: { excludeRaw?: boolean } = {}): TransformationError[] {
  const gathered = gatherTemplates(transformation, refs, owner)
  const problems = [...gathered.errors, ...parseTemplates(gathered.templates).errors]
  if (!options.excludeRaw && !transformation?.excludeRaw) problems.push(...rawKeyErrors(gathered.templates))
  compileFilters(gathered.excludes, problems, 'excludes')
  compileFilters(gathered.includes, problems, 'includes')
  return problems
}

/** A SecretTransformation's own validation (its status.valid): every template and source template parses. */
export function validateSecretTransformation(spec: SecretTransformationSpec, object: { namespace: string; name: string }): TransformationError[] {
  const objKey = `${object.namespace}/${object.name}`
  const templates: KeyedTemplate[] = [
    ...(spec.sourceTemplates ?? []).map((source, i) => ({ name: `${objKey}/${source.name || i}`, text: source.text, field: `spec.sourceTemplates[${i}]` })),
    ...sortedEntries(spec.templates).map(([key, template]) => ({ key, name: `${objKey}/${template.name || key}`, text: template.text, field: `spec.templates.${key}` })),
  ]
  return parseTemplates(templates).errors
}
