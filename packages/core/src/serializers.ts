import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { SessionStoreError } from './errors';
import { isSessionData, type SessionData } from './session-data';

/**
 * Turns session data into the DynamoDB attribute stored under the data attribute, and back.
 * `deserialize` throws on input it cannot read; the repository then treats the item as corrupt.
 */
export interface SessionSerializer {
  /** Encodes session data as one DynamoDB attribute value. */
  serialize(data: SessionData): AttributeValue;
  /** Decodes a stored attribute value; throws when it is not a session. */
  deserialize(value: AttributeValue): SessionData;
}

/** The names of the built-in serializers. */
export type SerializerName = 'json' | 'map';

/**
 * The default: a JSON string (`S`), the layout connect-dynamodb writes and reads. It also reads
 * items stored as a native map, so a table can move between the two layouts.
 */
export const jsonSerializer: SessionSerializer = {
  serialize(data) {
    const json = JSON.stringify(data);
    if (!json?.startsWith('{')) throw new TypeError('session data must serialize to an object');
    return { S: json };
  },
  deserialize(value) {
    if (value.S !== undefined) return parseJsonSession(value.S);
    if (value.M !== undefined) return unmarshallSession(value.M);
    throw new TypeError('the data attribute is neither a string (S) nor a map (M)');
  },
};

/**
 * A native DynamoDB map (`M`): readable in the AWS console and usable in filter expressions.
 * Values take JSON's shape first (Dates become ISO strings, `undefined` is dropped), so both
 * serializers return the same data. It also reads JSON strings written by the default.
 * DynamoDB numbers hold 38 digits: numbers beyond `Number.MAX_SAFE_INTEGER` are rejected with
 * `INVALID_SESSION_DATA` (store them as strings, or use the JSON serializer), as are own
 * `__proto__` keys (marshall would drop them; a map holding one is refused on read).
 */
export const mapSerializer: SessionSerializer = {
  serialize(data) {
    const json = jsonSerializer.serialize(data).S as string;
    const plain = JSON.parse(json) as SessionData;
    if (json.includes('"__proto__":') && holdsOwnPrototypeKey(plain)) {
      throw new TypeError('a "__proto__" key cannot be stored in a map (use the json serializer)');
    }
    return { M: marshall(plain, { removeUndefinedValues: true }) };
  },
  deserialize: jsonSerializer.deserialize,
};

/** Resolves the `serializer` option to a serializer. */
export function resolveSerializer(option: SerializerName | SessionSerializer): SessionSerializer {
  if (option === 'json') return jsonSerializer;
  if (option === 'map') return mapSerializer;
  return option;
}

/** Serializes with `serializer`, turning its failures into an `INVALID_SESSION_DATA` error. */
export function serializeSession(serializer: SessionSerializer, data: SessionData): AttributeValue {
  try {
    return serializer.serialize(data);
  } catch (error) {
    const reason = error instanceof Error ? error.name : typeof error;
    throw new SessionStoreError(
      'INVALID_SESSION_DATA',
      `the session data cannot be serialized (${reason}; the data itself is not quoted)`,
      { cause: error },
    );
  }
}

function parseJsonSession(text: string): SessionData {
  const data: unknown = JSON.parse(text);
  if (!isSessionData(data)) throw new TypeError('the stored JSON is not an object');
  return data;
}

function unmarshallSession(map: Record<string, AttributeValue>): SessionData {
  if (holdsPrototypeKey({ M: map })) {
    throw new TypeError('the stored map holds a "__proto__" key, which would set a prototype');
  }
  return unmarshall(map, { wrapNumbers: false }) as SessionData;
}

/**
 * Whether plain data, at any depth, has an own `__proto__` key (as `JSON.parse` makes them):
 * marshall would drop it, and a map holding one is refused on read.
 */
function holdsOwnPrototypeKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsOwnPrototypeKey);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(
    ([key, inner]) => key === '__proto__' || holdsOwnPrototypeKey(inner),
  );
}

/** Whether a stored map, at any depth, has a `__proto__` key (unmarshall would assign it). */
function holdsPrototypeKey(value: AttributeValue | undefined): boolean {
  if (value?.M) {
    return Object.entries(value.M).some(
      ([key, inner]) => key === '__proto__' || holdsPrototypeKey(inner),
    );
  }
  return value?.L?.some((inner) => holdsPrototypeKey(inner)) ?? false;
}
