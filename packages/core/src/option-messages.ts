import type { z } from 'zod';

/**
 * Readable messages for the zod issues of an options object: each names the option (its dotted
 * path) and says what it accepts, e.g. `option "touchAfterMs": must be "auto" or a number, not
 * the string "soon"`. `input` is the value that was validated; it is only read, to say what was
 * given. When `input` itself is not an object (`new DynamoDBStore('sessions')`), the one message
 * says that an options object is expected, with an example.
 */
export function formatOptionIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `option "${key}" is not a known option`).join('; ');
    }
    if (issue.path.length === 0 && issue.code === 'invalid_type') {
      return `expected an options object, e.g. { table: 'sessions' }, not ${describeValue(input)}`;
    }
    const path = issue.path.map(String).join('.');
    const given = valueAt(input, issue.path);
    return `option "${path}": ${describeIssue(issue, given)}`;
  });
}

function describeIssue(issue: z.core.$ZodIssue, given: unknown): string {
  const received = given === undefined ? '' : `, not ${describeValue(given)}`;
  if (!/^(Invalid|Too small|Too big)/.test(issue.message)) {
    // a message written in the schema says it best
    return issue.message.startsWith('must be') ? `${issue.message}${received}` : issue.message;
  }
  switch (issue.code) {
    case 'invalid_union': {
      const custom = issue.errors
        .flat()
        .find((inner) => inner.code === 'custom' && inner.message.startsWith('must be'));
      if (custom) return `${custom.message}${received}`;
      const alternatives = issue.errors.flatMap(([first]) => (first ? [accepted(first)] : []));
      if (alternatives.length === 0) return issue.message;
      return `must be ${alternatives.join(' or ')}${received}`;
    }
    case 'invalid_value':
    case 'invalid_type':
      return `must be ${accepted(issue)}${received}`;
    case 'too_small':
    case 'too_big':
      return `must be ${accepted(issue)}${sizeUnit(issue.origin)}${received}`;
    default:
      return `${issue.message}${received}`;
  }
}

/** What one failed alternative accepts: `"json" or "map"`, `a number`, `an object`... */
function accepted(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') {
    const values = issue.values.map((value) => JSON.stringify(value));
    return values.length > 2 ? `one of ${values.join(', ')}` : values.join(' or ');
  }
  if (issue.code === 'invalid_type') {
    return issue.expected === 'int' ? 'a whole number' : withArticle(issue.expected);
  }
  if (issue.code === 'too_small') {
    return `${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}`;
  }
  if (issue.code === 'too_big') {
    return `${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`;
  }
  return issue.message;
}

function sizeUnit(origin: string): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array' || origin === 'set') return ' entries';
  return '';
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'function':
      return 'a function';
    case 'object':
      return 'an object';
    default:
      return String(value);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The message of an `endpoint` that is not an http:// or https:// URL. */
export const ENDPOINT_MESSAGE =
  'must be a URL with its scheme, http:// or https://, e.g. http://localhost:8000';
