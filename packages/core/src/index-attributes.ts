import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SessionStoreError } from './errors';
import type { SessionData } from './session-data';

/**
 * A session field copied to a top-level attribute of the item on every write, so that a global
 * secondary index or a filter can use it (connect-dynamodb's `specialKeys`, with nested paths).
 */
export interface IndexAttribute {
  /** The attribute name in the table. */
  name: string;
  /** Dot-separated path of the field in the session data, e.g. `user.id`. Defaults to `name`. */
  path?: string;
  /** DynamoDB scalar type of the attribute. */
  type: 'S' | 'N' | 'B';
  /** When true (the default), a write whose session lacks the field fails. */
  required?: boolean;
  /**
   * Name of a global secondary index whose partition key is this attribute: enables
   * `idsByAttribute` / `destroyByAttribute` ("log out everywhere"), and `createTable` creates it.
   */
  index?: string;
}

/**
 * The index attribute `name` of `attributes` that has a global secondary index, for a query
 * by attribute; throws `INVALID_OPTIONS` naming the missing configuration otherwise.
 */
export function indexedAttribute(
  attributes: readonly IndexAttribute[],
  name: string,
): IndexAttribute {
  const attribute = attributes.find((candidate) => candidate.name === name);
  if (!attribute?.index) {
    throw new SessionStoreError(
      'INVALID_OPTIONS',
      `no index attribute "${name}" with an index: add { name: "${name}", index: "<GSI name>", ... } to indexAttributes`,
    );
  }
  return attribute;
}

/** The attribute values of `attributes` found in `data`, and the names of the missing ones. */
export function indexAttributeValues(
  data: SessionData,
  attributes: readonly IndexAttribute[],
): { values: Record<string, AttributeValue>; missing: string[] } {
  const values: Record<string, AttributeValue> = {};
  const missing: string[] = [];
  for (const attribute of attributes) {
    const value = toScalar(readPath(data, attribute.path ?? attribute.name), attribute.type);
    if (value === undefined) {
      if (attribute.required !== false) missing.push(attribute.name);
    } else {
      values[attribute.name] = value;
    }
  }
  return { values, missing };
}

function readPath(data: SessionData, path: string): unknown {
  let current: unknown = data;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function toScalar(value: unknown, type: IndexAttribute['type']): AttributeValue | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (type === 'S') {
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? { S: String(value) }
      : undefined;
  }
  if (type === 'N') {
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    return typeof number === 'number' && Number.isFinite(number)
      ? { N: String(number) }
      : undefined;
  }
  if (value instanceof Uint8Array) return { B: value };
  return typeof value === 'string' ? { B: Buffer.from(value, 'base64') } : undefined;
}
