import { describe, expect, it } from 'vitest'
import { buildSecretData, TransformationError, validateSecretTransformation, validateTransformation, type ResolvedTransformationRef, type TransformationInput } from './transformation.ts'
import type { SecretTransformationSpec, Transformation } from './api.ts'

const METADATA = { version: 3, created_time: '2024-01-01T00:00:00Z', custom_metadata: { super: 'duper' } }
const INPUT: TransformationInput = {
  secrets: { username: 'alice', password: 'secret' },
  metadata: METADATA,
  labels: { 'myapp/name': 'db' },
  annotations: { 'myapp.config/postgres-host': 'postgres-postgresql.postgres.svc.cluster.local:5432' },
  raw: { data: { username: 'alice', password: 'secret' }, metadata: METADATA },
  owner: { namespace: 'apps', name: 'db' },
}

const asText = (data: Record<string, Buffer>) => Object.fromEntries(Object.entries(data).map(([key, value]) => [key, value.toString('utf8')]))
const build = (transformation: Transformation | undefined, refs: ResolvedTransformationRef[] = [], input: Partial<TransformationInput> = {}, excludeRaw = false) =>
  asText(buildSecretData({ ...INPUT, ...input }, transformation, refs, { excludeRaw }))
const ref = (name: string, spec: SecretTransformationSpec, options: Partial<ResolvedTransformationRef['ref']> = {}, valid = true): ResolvedTransformationRef => ({
  ref: { name, ...options },
  namespace: 'apps',
  spec,
  valid,
})
function buildError(transformation: Transformation | undefined, refs: ResolvedTransformationRef[] = [], input: Partial<TransformationInput> = {}): TransformationError {
  try {
    build(transformation, refs, input)
  } catch (error) {
    expect(error).toBeInstanceOf(TransformationError)
    return error as TransformationError
  }
  throw new Error('expected a TransformationError')
}

// VSO's own example: shared helpers in a SecretTransformation, rendered for an app (helpers/template_test.go).
const HELPERS = `
{{/*
compose a Postgres URL from SecretInput for this app
*/}}
{{- define "getPgUrl" -}}
{{- $host := get .Annotations "myapp.config/postgres-host" -}}
{{- printf "postgresql://%s:%s@%s/postgres?sslmode=disable" (get .Secrets "username") (get .Secrets "password") $host -}}
{{- end -}}
{{- define "getAppProps" -}}
{{- $host := get .Annotations "myapp.config/postgres-host" -}}
{{- printf "db.host=%s\\n" $host -}}
{{- range $k, $v := .Secrets -}}
{{- printf "db.%s=%s\\n" $k $v -}}
{{- end -}}
{{- end -}}
{{- define "getAppJson" -}}
{{- $host := get .Annotations "myapp.config/postgres-host" -}}
{{- $copy := .Secrets | mustDeepCopy -}}
{{- $_ := set $copy "host" $host -}}
{{- mustToPrettyJson $copy -}}
{{- end -}}
`
const APP_TEMPLATES: SecretTransformationSpec = {
  sourceTemplates: [{ name: 'helpers', text: HELPERS }],
  templates: {
    url: { name: 'url', text: '{{- template "getPgUrl" . -}}' },
    'app.props': { name: 'app.props', text: '{{- template "getAppProps" . -}}' },
    'app.json': { name: 'app.json', text: '{{- template "getAppJson" . -}}' },
    'app.name': { name: 'app.name', text: '{{- get .Labels "myapp/name" -}}' },
  },
}

describe('buildSecretData', () => {
  it('renders the templates of a SecretTransformation, calling its source templates', () => {
    const data = build({ transformationRefs: [{ name: 'app-templates' }], excludes: ['.*'], excludeRaw: true }, [ref('app-templates', APP_TEMPLATES)])
    expect(data).toEqual({
      url: 'postgresql://alice:secret@postgres-postgresql.postgres.svc.cluster.local:5432/postgres?sslmode=disable',
      'app.props': 'db.host=postgres-postgresql.postgres.svc.cluster.local:5432\ndb.password=secret\ndb.username=alice\n',
      'app.json': '{\n  "host": "postgres-postgresql.postgres.svc.cluster.local:5432",\n  "password": "secret",\n  "username": "alice"\n}',
      'app.name': 'db',
    })
  })

  it('renders inline templates from VSO documentation over .Secrets, .Metadata, .Annotations and .Labels', () => {
    const data = build({
      templates: {
        password: { text: '{{- printf "password=%s" (get .Secrets "password") -}}' },
        env: { text: '{{- range $k, $v := .Secrets }}\n{{ $k | upper }}={{ $v }}\n{{- end }}' },
        b64: { text: '{{ get .Secrets "password" | b64enc }}' },
        json: { text: '{{ .Secrets | toJson }}' },
        meta: { text: '{{- $custom := get .Metadata "custom_metadata" -}}{{ get $custom "super" }} v{{ .Metadata.version }}' },
        labels: { text: '{{ get .Labels "myapp/name" }}@{{ get .Annotations "myapp.config/postgres-host" }}' },
      },
      excludeRaw: true,
    })
    expect(data).toEqual({
      password: 'password=secret',
      env: '\nPASSWORD=secret\nUSERNAME=alice',
      b64: 'c2VjcmV0',
      json: '{"password":"secret","username":"alice"}',
      meta: 'duper v3',
      labels: 'db@postgres-postgresql.postgres.svc.cluster.local:5432',
      username: 'alice',
    })
  })

  it('writes _raw, then the source keys: strings as bytes, anything else as Go JSON', () => {
    const secrets = { user: 'alice', port: 5432, tags: ['a', '<b>'], nested: { ok: true, none: null } }
    const data = build(undefined, [], { secrets, raw: { data: secrets, metadata: { version: 1 } } })
    expect(data).toEqual({
      _raw: '{"data":{"nested":{"none":null,"ok":true},"port":5432,"tags":["a","\\u003cb\\u003e"],"user":"alice"},"metadata":{"version":1}}',
      user: 'alice',
      port: '5432',
      tags: '["a","\\u003cb\\u003e"]',
      nested: '{"none":null,"ok":true}',
    })
  })

  it('leaves out _raw when the transformation or the global option says so', () => {
    expect(build({ excludeRaw: true })).toEqual({ username: 'alice', password: 'secret' })
    expect(build(undefined, [], {}, true)).toEqual({ username: 'alice', password: 'secret' })
  })

  it('lets a template key win over a source key of the same name', () => {
    expect(build({ templates: { password: { text: '{{ .Secrets.password | upper }}' } }, excludeRaw: true })).toEqual({ username: 'alice', password: 'SECRET' })
  })

  describe('filters', () => {
    const secrets = { username: 'alice', password: 'secret', passphrase: 'words', token: 't' }
    const filtered = (transformation: Transformation, refs: ResolvedTransformationRef[] = []) => Object.keys(build({ excludeRaw: true, ...transformation }, refs, { secrets })).sort()

    it('apply excludes first, then keep only keys matching an include; regexes match anywhere in the key', () => {
      expect(filtered({ includes: ['pass'] })).toEqual(['passphrase', 'password'])
      expect(filtered({ includes: ['pass', '^token$'], excludes: ['phrase'] })).toEqual(['password', 'token'])
      expect(filtered({ excludes: ['^user'] })).toEqual(['passphrase', 'password', 'token'])
    })

    it('never apply to templated keys: `.*` excludes every source key', () => {
      expect(filtered({ excludes: ['.*'], templates: { dsn: { text: '{{ .Secrets.username }}' } } })).toEqual(['dsn'])
    })

    it('take a ref’s includes and excludes unless told to ignore them', () => {
      const shared = ref('shared', { includes: ['^pass'], excludes: ['phrase'] })
      expect(filtered({ transformationRefs: [{ name: 'shared' }] }, [shared])).toEqual(['password'])
      expect(filtered({ transformationRefs: [{ name: 'shared', ignoreExcludes: true }] }, [{ ...shared, ref: { name: 'shared', ignoreExcludes: true } }])).toEqual(['passphrase', 'password'])
      expect(filtered({ transformationRefs: [{ name: 'shared', ignoreIncludes: true }] }, [{ ...shared, ref: { name: 'shared', ignoreIncludes: true } }])).toEqual(['password', 'token', 'username'])
    })

    it('reject a pattern that is not a Go regular expression', () => {
      const error = buildError({ excludes: ['ok', '(?=lookahead)'] })
      expect(error.field).toBe('spec.destination.transformation.excludes[1]')
      expect(error.message).toContain('not a valid Go regular expression')
    })
  })

  describe('templates from SecretTransformations', () => {
    const shared: SecretTransformationSpec = {
      sourceTemplates: [{ name: 'shared/helpers', text: '{{ define "dsn" }}{{ .Secrets.username }}:{{ .Secrets.password }}{{ end }}' }],
      templates: { dsn: { name: 'shared/dsn', text: '{{ template "dsn" . }}' }, user: { name: 'shared/user', text: '{{ .Secrets.username }}' } },
    }

    it('renders the chosen templates, under keyOverride when given', () => {
      const data = build({ transformationRefs: [{ name: 'shared', templateRefs: [{ name: 'dsn', keyOverride: 'DATABASE_DSN' }] }], excludes: ['.*'], excludeRaw: true }, [ref('shared', shared, { templateRefs: [{ name: 'dsn', keyOverride: 'DATABASE_DSN' }] })])
      expect(data).toEqual({ DATABASE_DSN: 'alice:secret' })
    })

    it('renders every template of a ref without templateRefs, an inline template of the same key winning', () => {
      const data = build({ templates: { user: { text: 'inline' } }, transformationRefs: [{ name: 'shared' }], excludes: ['.*'], excludeRaw: true }, [ref('shared', shared)])
      expect(data).toEqual({ dsn: 'alice:secret', user: 'inline' })
    })

    it.each<[string, Transformation, ResolvedTransformationRef[], string, string]>([
      ['a ref named twice', { transformationRefs: [{ name: 'shared' }, { name: 'shared' }] }, [ref('shared', shared), ref('shared', shared)], 'spec.destination.transformation.transformationRefs[1]', 'referenced twice'],
      ['an invalid SecretTransformation', { transformationRefs: [{ name: 'shared' }] }, [ref('shared', shared, {}, false)], 'spec.destination.transformation.transformationRefs[0]', 'SecretTransformation apps/shared is not valid'],
      ['a missing template', { transformationRefs: [{ name: 'shared', templateRefs: [{ name: 'nope' }] }] }, [ref('shared', shared, { templateRefs: [{ name: 'nope' }] })], 'spec.destination.transformation.transformationRefs[0].templateRefs[0]', 'has no template "nope"'],
      ['a template name used twice', { templates: { other: { name: 'shared/dsn', text: 'x' } }, transformationRefs: [{ name: 'shared' }] }, [ref('shared', shared)], 'spec.destination.transformation.transformationRefs[0]', 'SecretTransformation apps/shared templates.dsn: two templates are named "shared/dsn"'],
    ])('rejects %s', (_, transformation, refs, field, message) => {
      const error = buildError(transformation, refs)
      expect(error.field).toBe(field)
      expect(error.message).toContain(message)
    })
  })

  describe('_raw', () => {
    it('is an error as a template key or a source key while _raw is written', () => {
      expect(buildError({ templates: { _raw: { text: 'x' } } }).field).toBe('spec.destination.transformation.templates._raw')
      expect(buildError(undefined, [], { secrets: { _raw: 'x' } }).message).toContain('"_raw"')
      expect(build({ excludeRaw: true }, [], { secrets: { _raw: 'x' } })).toEqual({ _raw: 'x' })
    })
  })

  it('names templates <namespace>/<name>/<key> by default, as errors show', () => {
    const error = buildError({ templates: { url: { text: '{{ .Secrets.password | now }}' } } })
    expect(error.field).toBe('spec.destination.transformation.templates.url')
    expect(error.message).toBe('spec.destination.transformation.templates.url: the template does not parse: template: apps/db/url:1:23: function "now" is not allowed by VSO, which leaves it out of the sprig functions its templates may call')
  })

  it('reports execution errors with Go’s position and never a secret value', () => {
    const secrets = { password: 'hunter2', count: 3 }
    for (const text of ['{{ .Secrets.password | int | printf "%s" | fail }}', '{{ .Secrets.password.x }}', '{{ mustFromJson .Secrets.password }}', '{{ range .Secrets.password }}{{ end }}', '{{ index .Secrets.password 9 }}']) {
      const error = buildError({ templates: { key: { text } } }, [], { secrets })
      expect(error.message).toMatch(/^spec\.destination\.transformation\.templates\.key: the template failed: template: apps\/db\/key:1:\d+: executing "apps\/db\/key" at </)
      expect(error.message).not.toContain('hunter2')
    }
  })

  it('renders from the same map it then filters, so a template that sets a key adds a source key, as in VSO', () => {
    expect(build({ templates: { a: { text: '{{ $_ := set .Secrets "extra" "added" }}a' } }, excludeRaw: true })).toEqual({ a: 'a', extra: 'added', password: 'secret', username: 'alice' })
  })
})

describe('validateTransformation', () => {
  it('finds every problem before anything is read from Vault', () => {
    const problems = validateTransformation(
      { templates: { bad: { text: '{{ if }}' }, old: { text: '{{ now }}' }, _raw: { text: 'x' } }, includes: ['('], transformationRefs: [{ name: 'gone' }] },
      [ref('gone', {}, {}, false)],
      { namespace: 'apps', name: 'db' },
    )
    expect(problems.map((p) => p.field)).toEqual([
      'spec.destination.transformation.transformationRefs[0]',
      'spec.destination.transformation.templates.bad',
      'spec.destination.transformation.templates.old',
      'spec.destination.transformation.templates._raw',
      'spec.destination.transformation.includes[0]',
    ])
    expect(validateTransformation({ templates: { ok: { text: '{{ .Secrets.x }}' } } }, [], { namespace: 'apps', name: 'db' })).toEqual([])
  })
})

describe('validateSecretTransformation', () => {
  it('parses every template and source template', () => {
    expect(validateSecretTransformation(APP_TEMPLATES, { namespace: 'apps', name: 'app-templates' })).toEqual([])
    const problems = validateSecretTransformation({ sourceTemplates: [{ name: 'h', text: '{{ define "x" }}' }], templates: { a: { text: '{{ uuidv4 }}' } } }, { namespace: 'apps', name: 'st' })
    expect(problems.map((p) => p.field)).toEqual(['spec.sourceTemplates[0]', 'spec.templates.a'])
    expect(problems[1]!.message).toContain('template: apps/st/a:1:3: function "uuidv4" is not allowed by VSO')
  })
})
