import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB's maximum item size: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * The size DynamoDB counts for an item, following its published rules (names and strings in
 * UTF-8 bytes, numbers at most 21 bytes, 3 bytes of overhead per map or list plus 1 per element).
 * It may overestimate numbers slightly, never strings.
 */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name, 'utf8') + attributeSize(value);
  }
  return size;
}

function attributeSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M !== undefined) return 3 + itemSize(value.M) + Object.keys(value.M).length;
  if (value.L !== undefined) {
    return 3 + value.L.reduce((sum, element) => sum + attributeSize(element) + 1, 0);
  }
  if (value.SS !== undefined) return value.SS.reduce((s, v) => s + Buffer.byteLength(v), 0);
  if (value.NS !== undefined) return value.NS.reduce((s, v) => s + numberSize(v), 0);
  if (value.BS !== undefined) return value.BS.reduce((s, v) => s + v.byteLength, 0);
  return 0;
}

function numberSize(text: string): number {
  const digits = text.replace(/[^0-9]/g, '').length;
  return Math.min(21, Math.ceil(digits / 2) + 1);
}
