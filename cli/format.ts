// How the CLI prints a value it does not know the type of (a reconciler change's from/to): text as is,
// anything else as JSON, never "[object Object]".
export function show(value: unknown, absent = '(none)'): string {
  if (value === null || value === undefined) return absent;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
