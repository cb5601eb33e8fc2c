/**
 * Lambda's event filtering for DynamoDB stream records, as the event source mapping applies it before
 * invoking the function: the same patterns the stack passes to `FilterCriteria.filter(...)` decide
 * locally which records the worker sees.
 *
 * A pattern mirrors the record's shape. A nested object descends into the field of the same name; an
 * array lists the rules the field's value may satisfy (any one suffices); every field named in a
 * pattern must match. Several patterns: a record matching any one of them is delivered.
 */
import type { DynamoDBRecord } from 'aws-lambda';

export type ComparisonOperator = '=' | '<' | '<=' | '>' | '>=';

export type FilterRule =
  | string
  | number
  | boolean
  | null
  | { readonly exists: boolean }
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly 'equals-ignore-case': string }
  | { readonly 'anything-but': string | number | readonly (string | number)[] | { readonly prefix: string } }
  /** Pairs of operator and bound, e.g. `[">", 0, "<=", 5]`; DynamoDB's `N` strings compare as numbers. */
  | { readonly numeric: readonly (ComparisonOperator | number)[] };

export interface FilterPattern {
  readonly [field: string]: FilterPattern | readonly FilterRule[];
}

export function matchesAny(patterns: readonly FilterPattern[], record: DynamoDBRecord): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matchesObject(pattern, record));
}

/** Throws on what Lambda would refuse when the mapping is created, so a typo fails at start, not silently. */
export function assertValidFilterPattern(pattern: FilterPattern, path = ''): void {
  for (const [field, value] of Object.entries(pattern)) {
    const where = path === '' ? field : `${path}.${field}`;
    if (Array.isArray(value)) {
      if (value.length === 0) throw new Error(`filter pattern ${where}: an empty list matches nothing`);
      for (const rule of value as readonly FilterRule[]) assertValidRule(rule, where);
    } else if (typeof value === 'object' && value !== null) {
      assertValidFilterPattern(value as FilterPattern, where);
    } else {
      throw new Error(`filter pattern ${where}: expected a list of rules or a nested pattern`);
    }
  }
}

function assertValidRule(rule: FilterRule, where: string): void {
  if (rule === null || typeof rule !== 'object') return;
  const keys = Object.keys(rule);
  const known = ['exists', 'prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric'];
  if (keys.length !== 1 || !known.includes(keys[0] ?? '')) {
    throw new Error(`filter pattern ${where}: unsupported rule ${JSON.stringify(rule)}`);
  }
  if ('numeric' in rule) numericBounds(rule.numeric, where);
}

function matchesObject(pattern: FilterPattern, value: unknown): boolean {
  const fields = isPlainObject(value) ? value : {};
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (Array.isArray(expected))
      return (expected as readonly FilterRule[]).some((rule) => matchesRule(rule, actual));
    // A missing or non-object value descends as absent, so `exists: false` below it still matches.
    return matchesObject(expected as FilterPattern, isPlainObject(actual) ? actual : undefined);
  });
}

function matchesRule(rule: FilterRule, actual: unknown): boolean {
  if (rule !== null && typeof rule === 'object' && 'exists' in rule) {
    return rule.exists === (actual !== undefined);
  }
  if (actual === undefined) return false;
  // A list value (SS, NS, L) matches when any of its elements does, as in EventBridge patterns.
  if (Array.isArray(actual)) return actual.some((element) => matchesScalar(rule, element));
  return matchesScalar(rule, actual);
}

function matchesScalar(rule: FilterRule, actual: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return actual === rule;
  if ('prefix' in rule) return typeof actual === 'string' && actual.startsWith(rule.prefix);
  if ('suffix' in rule) return typeof actual === 'string' && actual.endsWith(rule.suffix);
  if ('equals-ignore-case' in rule) {
    return typeof actual === 'string' && actual.toLowerCase() === rule['equals-ignore-case'].toLowerCase();
  }
  if ('anything-but' in rule) return matchesAnythingBut(rule['anything-but'], actual);
  if ('numeric' in rule) return matchesNumeric(rule.numeric, actual);
  return false;
}

function matchesAnythingBut(
  excluded: string | number | readonly (string | number)[] | { readonly prefix: string },
  actual: unknown,
): boolean {
  if (typeof excluded === 'object' && !Array.isArray(excluded)) {
    return typeof actual === 'string' && !actual.startsWith((excluded as { prefix: string }).prefix);
  }
  const values: readonly unknown[] = Array.isArray(excluded) ? excluded : [excluded];
  return !values.includes(actual);
}

function matchesNumeric(bounds: readonly (ComparisonOperator | number)[], actual: unknown): boolean {
  // DynamoDB sends numbers as strings ({ "N": "5" }): compare what they say, not their spelling.
  const value =
    typeof actual === 'number' ? actual : typeof actual === 'string' ? Number(actual) : Number.NaN;
  if (typeof actual === 'string' && actual.trim() === '') return false;
  if (!Number.isFinite(value)) return false;
  return numericBounds(bounds, 'numeric').every(([operator, bound]) => compare(value, operator, bound));
}

function numericBounds(
  bounds: readonly (ComparisonOperator | number)[],
  where: string,
): [ComparisonOperator, number][] {
  const pairs: [ComparisonOperator, number][] = [];
  for (let i = 0; i < bounds.length; i += 2) {
    const operator = bounds[i];
    const bound = bounds[i + 1];
    if (typeof operator !== 'string' || !['=', '<', '<=', '>', '>='].includes(operator)) {
      throw new Error(`filter pattern ${where}: numeric expects operator/number pairs`);
    }
    if (typeof bound !== 'number') throw new Error(`filter pattern ${where}: numeric bound must be a number`);
    pairs.push([operator, bound]);
  }
  if (pairs.length === 0) throw new Error(`filter pattern ${where}: numeric needs at least one bound`);
  return pairs;
}

function compare(value: number, operator: ComparisonOperator, bound: number): boolean {
  switch (operator) {
    case '=':
      return value === bound;
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
