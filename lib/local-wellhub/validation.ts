/**
 * The local Wellhub's checks of what it is sent, as strict as WELLHUB-API.md says Wellhub is, with
 * Wellhub's own error shape: a list of `{"field": ..., "error": ...}`. Unknown fields are refused
 * everywhere, not only in PATCH bodies, so a misspelt optional field fails here instead of being
 * silently ignored in production.
 */
export interface FieldError {
  readonly field: string;
  readonly error: string;
}

type Rule =
  | { type: 'string'; required?: boolean; minLength?: number; maxLength?: number; pattern?: RegExp }
  | { type: 'int'; required?: boolean; min?: number; max?: number; oneOf?: readonly number[] }
  | { type: 'bool'; required?: boolean }
  | { type: 'datetime'; required?: boolean }
  | { type: 'enum'; required?: boolean; values: readonly string[] }
  | { type: 'object'; required?: boolean; fields: Spec }
  | { type: 'array'; required?: boolean; minItems?: number; items: Rule };

export type Spec = Readonly<Record<string, Rule>>;

/** ISO 8601 with an offset or `Z`: Wellhub refuses a local time without one. */
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function isDatetime(value: unknown): value is string {
  return typeof value === 'string' && DATETIME.test(value) && !Number.isNaN(Date.parse(value));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every problem of `value` against `spec`, fields named by their path (`classes[0].name`). */
export function checkObject(value: unknown, spec: Spec, prefix = ''): FieldError[] {
  if (!isRecord(value)) return [{ field: prefix || 'body', error: 'must be a JSON object' }];
  const errors: FieldError[] = [];
  for (const name of Object.keys(value)) {
    if (!Object.hasOwn(spec, name)) errors.push({ field: join(prefix, name), error: 'unknown field' });
  }
  for (const [name, rule] of Object.entries(spec))
    errors.push(...checkValue(value[name], rule, join(prefix, name)));
  return errors;
}

function checkValue(value: unknown, rule: Rule, field: string): FieldError[] {
  // Wellhub's API reads null as absent.
  if (value === undefined || value === null)
    return rule.required ? [{ field, error: 'must not be null' }] : [];
  const fail = (error: string) => [{ field, error }];
  switch (rule.type) {
    case 'string': {
      if (typeof value !== 'string') return fail('must be a string');
      const length = [...value].length;
      const { minLength = 0, maxLength = Number.POSITIVE_INFINITY } = rule;
      if (length < minLength || length > maxLength) {
        if (minLength === 1 && maxLength === Number.POSITIVE_INFINITY) return fail('must not be blank');
        return fail(
          maxLength === Number.POSITIVE_INFINITY
            ? `length must be at least ${minLength} characters`
            : `length must be between ${minLength} and ${maxLength} characters`,
        );
      }
      if (rule.pattern && !rule.pattern.test(value)) return fail('has an invalid format');
      return [];
    }
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail('must be an integer');
      if (rule.oneOf && !rule.oneOf.includes(value)) return fail(`must be one of ${rule.oneOf.join(', ')}`);
      if (rule.min !== undefined && value < rule.min)
        return fail(`must be greater than or equal to ${rule.min}`);
      if (rule.max !== undefined && value > rule.max)
        return fail(`must be less than or equal to ${rule.max}`);
      return [];
    }
    case 'bool':
      return typeof value === 'boolean' ? [] : fail('must be a boolean');
    case 'datetime':
      return isDatetime(value) ? [] : fail('must be an ISO 8601 date-time with an offset or Z');
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value)
        ? []
        : fail(`must be one of ${rule.values.join(', ')}`);
    case 'object':
      return checkObject(value, rule.fields, field);
    case 'array': {
      if (!Array.isArray(value)) return fail('must be an array');
      if (rule.minItems !== undefined && value.length < rule.minItems)
        return fail(`must have at least ${rule.minItems} item${rule.minItems === 1 ? '' : 's'}`);
      return value.flatMap((item, index) =>
        checkValue(item, { ...rule.items, required: true }, `${field}[${index}]`),
      );
    }
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}
