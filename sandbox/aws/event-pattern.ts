// EventBridge event pattern matching, hand-written because no installed package implements it (the
// EventBridge TestEventPattern API is the reference; the rules below follow the "Event patterns" and
// "Content filtering" pages of the EventBridge user guide):
// - every field of the pattern must match; a nested object matches the nested event object;
// - an array lists alternatives; an event array matches when any of its elements matches;
// - matchers: exact value, {prefix}, {suffix}, {"equals-ignore-case"}, {"anything-but": v | [v] | {prefix|suffix}},
//   {exists: true|false}, {numeric: [op, n, op, n]}, {wildcard}; `$or` takes a list of patterns.
// Sandbox extension: an unresolved Serverless variable (a "${...}" string) or a CloudFormation intrinsic
// object ({Ref} / {"Fn::..."}) in a pattern matches any present value — the value is only known at deploy time.

export type Pattern = { [field: string]: unknown };

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  if (!isObject(event)) return false;
  for (const [field, expected] of Object.entries(pattern)) {
    if (field === '$or') {
      if (!Array.isArray(expected) || !expected.some((p) => isObject(p) && matchesPattern(p, event))) return false;
      continue;
    }
    const present = Object.prototype.hasOwnProperty.call(event, field);
    const actual = event[field];
    if (isObject(expected) && !isIntrinsic(expected)) {
      if (!present || !matchesPattern(expected, actual)) return false;
      continue;
    }
    const alternatives = Array.isArray(expected) ? expected : [expected];
    if (!matchesField(alternatives, present, actual)) return false;
  }
  return true;
}

function matchesField(alternatives: unknown[], present: boolean, actual: unknown): boolean {
  // exists:false is the only matcher that matches an absent field.
  if (!present || actual === undefined) return alternatives.some((m) => isObject(m) && m.exists === false);
  const values = Array.isArray(actual) ? actual : [actual];
  return alternatives.some((m) => values.some((v) => matchesValue(m, v)));
}

function matchesValue(matcher: unknown, value: unknown): boolean {
  if (typeof matcher === 'string' && isVariable(matcher)) return true;
  if (!isObject(matcher)) return matcher === value;
  if (isIntrinsic(matcher)) return true;
  if ('exists' in matcher) return matcher.exists === true;
  if ('prefix' in matcher) return textMatch(matcher.prefix, value, (v, p) => v.startsWith(p));
  if ('suffix' in matcher) return textMatch(matcher.suffix, value, (v, s) => v.endsWith(s));
  if ('equals-ignore-case' in matcher) {
    return typeof value === 'string' && typeof matcher['equals-ignore-case'] === 'string' && value.toLowerCase() === matcher['equals-ignore-case'].toLowerCase();
  }
  if ('wildcard' in matcher) return typeof value === 'string' && typeof matcher.wildcard === 'string' && wildcardRegex(matcher.wildcard).test(value);
  if ('numeric' in matcher) return typeof value === 'number' && Array.isArray(matcher.numeric) && numericMatch(matcher.numeric, value);
  if ('anything-but' in matcher) {
    const but = matcher['anything-but'];
    if (isObject(but)) return !matchesValue(but, value);
    const excluded = Array.isArray(but) ? but : [but];
    return !excluded.includes(value);
  }
  return false;
}

/** prefix/suffix take a string or {"equals-ignore-case": string}. */
function textMatch(arg: unknown, value: unknown, test: (v: string, p: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (typeof arg === 'string') return test(value, arg);
  if (isObject(arg) && typeof arg['equals-ignore-case'] === 'string') return test(value.toLowerCase(), arg['equals-ignore-case'].toLowerCase());
  return false;
}

function numericMatch(spec: unknown[], value: number): boolean {
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const op = spec[i];
    const n = Number(spec[i + 1]);
    const ok =
      op === '=' ? value === n : op === '>' ? value > n : op === '>=' ? value >= n : op === '<' ? value < n : op === '<=' ? value <= n : false;
    if (!ok) return false;
  }
  return true;
}

function wildcardRegex(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isVariable = (s: string): boolean => /\$\{[^}]+\}/.test(s);
const isIntrinsic = (o: Record<string, unknown>): boolean => {
  const keys = Object.keys(o);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
};
