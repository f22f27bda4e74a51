import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// Bodies are validated strictly: no type coercion, unknown fields refused (additionalProperties:
// false in the schemas, nothing removed silently). Query strings, params and headers are text, so
// they may coerce (`?limit=10`).
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(options: Options): Ajv {
  return addFormats(new Ajv({ allErrors: false, strict: false, useDefaults: true, ...options }));
}

const bodyAjv = makeAjv({ coerceTypes: false, removeAdditional: false });
const textAjv = makeAjv({ coerceTypes: 'array', removeAdditional: false });

type Validate = ReturnType<FastifySchemaCompiler<unknown>>;

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate = (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as Validate;
  // A body declared with Type.Optional (e.g. resend's `{expiresInDays?, sendEmail?}`) may be absent
  // altogether; a body that is present is still validated strictly.
  if (httpPart === 'body' && (schema as { '~optional'?: boolean })['~optional'] === true) {
    // Fastify hands an absent body to the validator as null and reads failures from `.errors`.
    const optional = Object.assign(
      (data: unknown) => {
        if (data === null || data === undefined) return true;
        const ok = validate(data);
        optional.errors = (validate as { errors?: unknown }).errors;
        return ok;
      },
      { errors: undefined as unknown },
    );
    return optional as unknown as Validate;
  }
  return validate;
};
