// Sizes of free text in UTF-8 bytes: what AWS limits count (Step Functions input, DynamoDB items, SNS
// messages, EventBridge entries all measure UTF-8 bytes, not characters).

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

const ELLIPSIS = '…'; // 3 bytes in UTF-8

/** `text` cut to at most `maxBytes` UTF-8 bytes on a character boundary, ending in "…" when cut. */
export function clipUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.max(0, maxBytes - utf8Bytes(ELLIPSIS));
  // bytes[end] is the first byte left out: while it continues a character (10xxxxxx), that character would be split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}${ELLIPSIS}`;
}
