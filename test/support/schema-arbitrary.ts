import fc from 'fast-check';

// fast-check arbitraries from the JSON Schemas of /openapi.json: values the schema allows, and junk
// beside them (wrong types, huge and unicode strings, missing and extra fields), so a fuzz run spends
// its cases both inside the validator's door and against it.

export interface JsonSchema {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

/** Strings that have broken parsers, encoders and mailers before. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  '\r\nBcc: x@evil.example',
  '../../etc/passwd',
  '%2e%2e%2f',
  "' OR 1=1--",
  '__proto__',
  'constructor',
  '😀',
  '\u202e',
  'ı',
  'a'.repeat(70_000),
  'inv_' + 'A'.repeat(43),
  '00000000-0000-0000-0000-000000000000',
  'NaN',
  '-1',
  '1e309',
];

export const junkString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.nat(5000).map((n) => 'x'.repeat(n)),
);

/** Anything at all: the wrong type for most schemas. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  junkString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(junkString, fc.integer()), { maxLength: 3 }),
  fc.dictionary(junkString, fc.oneof(junkString, fc.integer()), { maxKeys: 3 }),
);

function stringOf(s: JsonSchema): fc.Arbitrary<string> {
  if (s.pattern)
    return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= (s.maxLength ?? 1e6));
  if (s.format === 'uuid') return fc.uuid();
  if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (s.format === 'email') return fc.emailAddress();
  if (s.format === 'uri') return fc.webUrl();
  return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 300) });
}

/** Values worth trying for a property of this name (real ids, plausible emails), besides the schema's. */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

/** A value the schema accepts (close enough: what the validator is given to pass or refuse). */
export function valid(s: JsonSchema, hints: Hints = {}): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => valid(a, hints)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return stringOf(s);
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valid(s.items ?? {}, hints), { maxLength: Math.min(s.maxItems ?? 4, 8) });
    case 'object': {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) model[k] = withHint(k, valid(v, hints), hints);
      return fc.record(model, { requiredKeys: [...required].filter((k) => k in props) });
    }
    default:
      return junk;
  }
}

/** The hinted values for a named property or parameter, beside what its schema generates. */
export function withHint(name: string, arb: fc.Arbitrary<unknown>, hints: Hints): fc.Arbitrary<unknown> {
  const hint = hints[name];
  return hint ? fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: arb }) : arb;
}

/** Mostly valid, sometimes junk: a wrong type, a missing required field, an extra field. */
export function fuzzed(s: JsonSchema, hints: Hints = {}): fc.Arbitrary<unknown> {
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object' && s.properties) {
    const props = s.properties;
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, v] of Object.entries(props))
      model[k] = fc.oneof({ weight: 4, arbitrary: withHint(k, valid(v, hints), hints) }, junk);
    const record = fc.record(model, { requiredKeys: [] });
    return fc.oneof(
      { weight: 3, arbitrary: valid(s, hints) },
      { weight: 3, arbitrary: record },
      {
        weight: 1,
        arbitrary: fc
          .tuple(valid(s, hints), junkString, junk)
          .map(([o, k, v]) => ({ ...(o as object), [k]: v })),
      },
      { weight: 1, arbitrary: junk },
    );
  }
  return fc.oneof({ weight: 3, arbitrary: valid(s, hints) }, { weight: 1, arbitrary: junk });
}
