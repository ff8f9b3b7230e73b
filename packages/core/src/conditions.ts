import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** A DynamoDB item, as the SDK reads and writes it. */
export type Item = Record<string, AttributeValue>;

/** How {@link compare} compares an attribute with a value. */
export type Comparison = '=' | '<>' | '<' | '<=' | '>' | '>=';

/**
 * A condition on an item, as a value: built with {@link exists}, {@link missing},
 * {@link compare}, {@link beginsWith}, {@link and}, {@link or}, {@link not}; turned into a DynamoDB
 * expression by {@link compileCondition}, or checked against an item by {@link holds}.
 */
export type Condition =
  | { kind: 'exists'; attribute: string }
  | { kind: 'missing'; attribute: string }
  | { kind: 'compare'; attribute: string; comparison: Comparison; value: AttributeValue }
  | { kind: 'beginsWith'; attribute: string; prefix: string }
  | { kind: 'and' | 'or'; conditions: Condition[] }
  | { kind: 'not'; condition: Condition };

/** A change of an item's attributes: values to set, attribute names to remove. */
export interface ItemChange {
  set?: Item;
  remove?: string[];
}

/** The attribute exists. */
export const exists = (attribute: string): Condition => ({ kind: 'exists', attribute });

/** The attribute does not exist (on a missing item, nothing exists). */
export const missing = (attribute: string): Condition => ({ kind: 'missing', attribute });

/** The attribute exists and compares with `value` as `comparison` says. */
export const compare = (attribute: string, comparison: Comparison, value: AttributeValue) =>
  ({ kind: 'compare', attribute, comparison, value }) as Condition;

/** The attribute is a string that starts with `prefix`. */
export const beginsWith = (attribute: string, prefix: string): Condition => ({
  kind: 'beginsWith',
  attribute,
  prefix,
});

/** All of `conditions` (absent ones skipped); `undefined` when none is left. */
export function and(...conditions: (Condition | undefined)[]): Condition | undefined {
  return combine('and', conditions);
}

/** Any of `conditions` (absent ones skipped); `undefined` when none is left. */
export function or(...conditions: (Condition | undefined)[]): Condition | undefined {
  return combine('or', conditions);
}

/**
 * `condition` does not hold. A comparison (other than `<>`) with a missing attribute, or one of
 * another type, does not hold, so `not(compare(a, '<=', v))` holds where `a` is missing or above
 * `v`: one comparison, where `or(missing(a), compare(a, '>', v))` makes a server parse two and
 * a parenthesized group.
 */
export const not = (condition: Condition): Condition => ({ kind: 'not', condition });

/** The expression attribute names and values an expression refers to. */
export class ExpressionNames {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  readonly #byName = new Map<string, string>();

  /** The placeholder of attribute `attribute`. */
  name(attribute: string): string {
    let placeholder = this.#byName.get(attribute);
    if (placeholder === undefined) {
      placeholder = `#n${this.#byName.size}`;
      this.#byName.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  /** A new placeholder holding `value`. */
  value(value: AttributeValue): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}

/**
 * `condition` as a DynamoDB condition expression whose placeholders `names` records. Nested
 * `and`/`or` are parenthesized, the outermost not: a JavaScript emulator of DynamoDB parses
 * every pair of parentheses slowly (a touch's condition took it almost twice the time).
 */
export function compileCondition(
  condition: Condition,
  names: ExpressionNames,
  nested = false,
): string {
  switch (condition.kind) {
    case 'exists':
      return `attribute_exists(${names.name(condition.attribute)})`;
    case 'missing':
      return `attribute_not_exists(${names.name(condition.attribute)})`;
    case 'compare':
      return `${names.name(condition.attribute)} ${condition.comparison} ${names.value(condition.value)}`;
    case 'beginsWith':
      return `begins_with(${names.name(condition.attribute)}, ${names.value({ S: condition.prefix })})`;
    case 'not': {
      const negated = compileCondition(condition.condition, names, true);
      return condition.condition.kind === 'not' ? `NOT (${negated})` : `NOT ${negated}`;
    }
    default: {
      const joiner = condition.kind === 'and' ? ' AND ' : ' OR ';
      const parts = condition.conditions.map((part) => compileCondition(part, names, true));
      return nested ? `(${parts.join(joiner)})` : parts.join(joiner);
    }
  }
}

/** `change` as a DynamoDB update expression whose placeholders `names` records. */
export function compileChange(change: ItemChange, names: ExpressionNames): string {
  const set = Object.entries(change.set ?? {}).map(
    ([attribute, value]) => `${names.name(attribute)} = ${names.value(value)}`,
  );
  const remove = (change.remove ?? []).map((attribute) => names.name(attribute));
  return [
    set.length > 0 ? `SET ${set.join(', ')}` : '',
    remove.length > 0 ? `REMOVE ${remove.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** Whether `condition` holds for `item` (`undefined`: no item), as DynamoDB would judge it. */
export function holds(condition: Condition, item: Item | undefined): boolean {
  switch (condition.kind) {
    case 'exists':
      return item?.[condition.attribute] !== undefined;
    case 'missing':
      return item?.[condition.attribute] === undefined;
    case 'compare': {
      const order = compareValues(item?.[condition.attribute], condition.value);
      if (order === undefined) return condition.comparison === '<>';
      return COMPARISONS[condition.comparison](order);
    }
    case 'beginsWith': {
      const value = item?.[condition.attribute]?.S;
      return value?.startsWith(condition.prefix) === true;
    }
    case 'not':
      return !holds(condition.condition, item);
    case 'and':
      return condition.conditions.every((part) => holds(part, item));
    default:
      return condition.conditions.some((part) => holds(part, item));
  }
}

/** `change` applied to a copy of `item`. */
export function applyChange(item: Item, change: ItemChange): Item {
  const changed: Item = { ...item, ...change.set };
  for (const attribute of change.remove ?? []) delete changed[attribute];
  return changed;
}

const COMPARISONS: Record<Comparison, (order: number) => boolean> = {
  '=': (order) => order === 0,
  '<>': (order) => order !== 0,
  '<': (order) => order < 0,
  '<=': (order) => order <= 0,
  '>': (order) => order > 0,
  '>=': (order) => order >= 0,
};

function compareValues(
  stored: AttributeValue | undefined,
  given: AttributeValue,
): number | undefined {
  if (stored?.N !== undefined && given.N !== undefined) {
    return compareNumbers(stored.N, given.N);
  }
  if (stored?.S !== undefined && given.S !== undefined) {
    return Buffer.compare(Buffer.from(stored.S, 'utf8'), Buffer.from(given.S, 'utf8'));
  }
  if (stored?.B !== undefined && given.B !== undefined) {
    return Buffer.compare(Buffer.from(stored.B), Buffer.from(given.B));
  }
  return undefined;
}

/** Beyond this gap of exponents (DynamoDB's own range is -130 to +125), a double decides. */
const MAX_EXACT_EXPONENT_GAP = 300;

/**
 * The order of two DynamoDB numbers, exactly (up to 38 digits, where a double keeps 17), or
 * `undefined` when either is no number.
 */
function compareNumbers(a: string, b: string): number | undefined {
  const x = decimal(a);
  const y = decimal(b);
  if (x === undefined || y === undefined) return undefined;
  if (Math.abs(x.exponent - y.exponent) > MAX_EXACT_EXPONENT_GAP) {
    return Math.sign(Number(a) - Number(b));
  }
  const exponent = Math.min(x.exponent, y.exponent);
  const scaled = (n: { digits: bigint; exponent: number }) =>
    n.digits * 10n ** BigInt(n.exponent - exponent);
  const difference = scaled(x) - scaled(y);
  return difference === 0n ? 0 : difference > 0n ? 1 : -1;
}

/** `text` as digits × 10^exponent, or `undefined` when it is no number. */
function decimal(text: string): { digits: bigint; exponent: number } | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || whole.length + fraction.length === 0) return undefined;
  const digits = BigInt(`${match[1]}${whole}${fraction}`);
  return { digits, exponent: Number(match[4] ?? 0) - fraction.length };
}

function combine(kind: 'and' | 'or', conditions: (Condition | undefined)[]): Condition | undefined {
  const present = conditions.filter((condition) => condition !== undefined);
  if (present.length <= 1) return present[0];
  return { kind, conditions: present };
}
