// Checks a built edge router against the documented limits of CloudFront Functions runtime cloudfront-js-2.0
// (DG functions-javascript-runtime-20.html, cloudfront-limits.html). It parses the code with acorn (already in
// node_modules through eslint and serverless-esbuild) and walks the real syntax tree instead of grepping text.
import { parse, type Node } from 'acorn';
import { fullAncestor } from 'acorn-walk';
import { EdgeBuildError, type EdgeViolation } from './errors.js';

/** CloudFront Functions maximum function size (not adjustable). */
export const MAX_FUNCTION_BYTES = 10_240;

/** Globals the runtime does not have or forbids: timers, network, Node's process/module system, dynamic code. */
const FORBIDDEN_GLOBALS: Record<string, string> = {
  setTimeout: 'timers are not supported (the function must run synchronously to completion)',
  setInterval: 'timers are not supported',
  setImmediate: 'timers are not supported',
  clearTimeout: 'timers are not supported',
  clearInterval: 'timers are not supported',
  clearImmediate: 'timers are not supported',
  queueMicrotask: 'timers are not supported',
  fetch: 'network calls are not supported',
  XMLHttpRequest: 'network calls are not supported',
  WebSocket: 'network calls are not supported',
  require: 'require is not supported: only `import cf from "cloudfront"`',
  process: 'process is not supported (no environment variables)',
  module: 'CommonJS module is not supported',
  exports: 'CommonJS exports are not supported',
  __dirname: 'file system paths are not supported',
  __filename: 'file system paths are not supported',
  eval: 'eval is not supported (dynamic code evaluation)',
  Function: 'Function constructors are not supported (dynamic code evaluation)',
};

const PROMISE_COMBINATORS = new Set(['all', 'any', 'allSettled', 'race']);

// Minimal views of the ESTree nodes we inspect (acorn's Node type is generic).
interface N extends Node {
  [field: string]: unknown;
}
const isNode = (v: unknown): v is N => typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
const name = (v: unknown): string | undefined => (isNode(v) && v.type === 'Identifier' ? (v.name as string) : undefined);

function position(code: string, offset: number): string {
  const before = code.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

/** Is this Identifier a reference to a binding (not a property name or a label)? */
function isReference(node: N, parent: N | undefined): boolean {
  if (!parent) return true;
  if (parent.type === 'MemberExpression' && parent.property === node && !parent.computed) return false;
  if ((parent.type === 'Property' || parent.type === 'MethodDefinition' || parent.type === 'PropertyDefinition') && parent.key === node && !parent.computed)
    return parent.type === 'Property' && parent.shorthand === true;
  if (parent.type === 'LabeledStatement' || parent.type === 'BreakStatement' || parent.type === 'ContinueStatement') return false;
  if (parent.type === 'ImportDefaultSpecifier' || parent.type === 'ImportSpecifier' || parent.type === 'ExportSpecifier') return false;
  return true;
}

/** Every violation of the runtime 2.0 limits in `code` (empty = deployable). */
export function findViolations(code: string): EdgeViolation[] {
  const violations: EdgeViolation[] = [];
  const add = (limit: string, message: string, node?: Node): void => {
    violations.push(node ? { limit, message, at: position(code, node.start) } : { limit, message });
  };

  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > MAX_FUNCTION_BYTES) add('size', `the function is ${bytes} bytes; CloudFront Functions allow at most ${MAX_FUNCTION_BYTES}`);

  let program: N;
  try {
    program = parse(code, { ecmaVersion: 2022, sourceType: 'module', allowAwaitOutsideFunction: false }) as unknown as N;
  } catch (err) {
    add('syntax', `not parseable as an ES module: ${(err as Error).message}`);
    return violations;
  }

  // Top level: exactly one import (the cloudfront module, default import), no exports, a `handler` function.
  const body = program.body as N[];
  const imports = body.filter((s) => s.type === 'ImportDeclaration');
  if (imports.length !== 1) add('imports', `expected exactly one import (cloudfront), found ${imports.length}`);
  for (const imp of imports) {
    const source = (imp.source as N).value;
    const specifiers = imp.specifiers as N[];
    if (source !== 'cloudfront') add('imports', `import of "${String(source)}": only "cloudfront" is used by the edge router`, imp);
    else if (specifiers.length !== 1 || specifiers[0]?.type !== 'ImportDefaultSpecifier') add('imports', 'the cloudfront module must be imported as a default import (`import cf from "cloudfront"`)', imp);
  }
  for (const s of body) if (s.type.startsWith('Export')) add('exports', 'CloudFront Functions take a top-level `handler` function, not module exports', s);
  // An exported handler is already reported under 'exports'.
  const declarations = body.map((s) => (s.type === 'ExportNamedDeclaration' && isNode(s.declaration) ? s.declaration : s));
  const handler = declarations.find((s) => s.type === 'FunctionDeclaration' && name(s.id) === 'handler');
  if (!handler) add('handler', 'no top-level `function handler(event)`');

  fullAncestor(program as unknown as Node, (raw, _state, ancestors) => {
    const node = raw as N;
    const parent = ancestors[ancestors.length - 2] as N | undefined;
    const unsupported = (what: string): void => add('unsupported-syntax', `${what} is not supported by runtime cloudfront-js-2.0`, node);
    switch (node.type) {
      case 'Identifier': {
        const id = node.name as string;
        if (!Object.prototype.hasOwnProperty.call(FORBIDDEN_GLOBALS, id) || !isReference(node, parent)) break;
        // Function.prototype.call/apply/bind are supported; only the constructor (called or new'd) is dynamic code.
        if (id === 'Function' && !((parent?.type === 'CallExpression' || parent?.type === 'NewExpression') && parent.callee === node)) break;
        add(id === 'eval' || id === 'Function' ? 'dynamic-code' : 'forbidden-global', `${id}: ${FORBIDDEN_GLOBALS[id]}`, node);
        break;
      }
      case 'ImportExpression':
        add('dynamic-code', 'dynamic import() is not supported', node);
        break;
      case 'MetaProperty':
        unsupported(`${name(node.meta)}.${name(node.property)}`);
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        unsupported('class');
        break;
      case 'ForOfStatement':
        unsupported(node.await ? 'for await...of' : 'for...of');
        break;
      case 'ObjectPattern':
      case 'ArrayPattern':
        unsupported('destructuring');
        break;
      case 'SpreadElement':
        unsupported('spread syntax');
        break;
      case 'AssignmentPattern':
        unsupported('a default parameter value');
        break;
      case 'ChainExpression':
        unsupported('optional chaining (?.)');
        break;
      case 'TaggedTemplateExpression':
        unsupported('a tagged template');
        break;
      case 'LogicalExpression':
        if (node.operator === '??') unsupported('nullish coalescing (??)');
        break;
      case 'AssignmentExpression':
        if (node.operator === '??=' || node.operator === '||=' || node.operator === '&&=') unsupported(`logical assignment (${String(node.operator)})`);
        break;
      case 'Property':
        if (node.shorthand) unsupported('shorthand property');
        else if (node.method) unsupported('method shorthand');
        else if (node.computed) unsupported('a computed property name');
        break;
      case 'CatchClause':
        if (!node.param) unsupported('optional catch binding (catch without a parameter)');
        break;
      case 'Literal':
        if (typeof node.bigint === 'string') unsupported('BigInt');
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        if (node.generator) unsupported('a generator function');
        const nested = ancestors.slice(0, -1).some((a) => a.type.includes('Function'));
        if (node.async && (nested || node.type !== 'FunctionDeclaration')) unsupported('an async closure (async functions must be top-level declarations)');
        break;
      }
      case 'AwaitExpression':
        if (!ancestors.slice(0, -1).some((a) => a.type.includes('Function'))) unsupported('top-level await');
        break;
      case 'CallExpression': {
        const callee = node.callee as N;
        if (callee.type !== 'MemberExpression' || callee.computed) break;
        const object = name(callee.object);
        const method = name(callee.property);
        if (object === 'console') {
          if (method !== 'log') add('console', `console.${String(method)}() is not available: only console.log()`, node);
          else if ((node.arguments as N[]).length > 1) add('console', "console.log() with several arguments fails in CloudFront Functions: concatenate ('a' + ' ' + 'b')", node);
        }
        if (object === 'Promise' && method && PROMISE_COMBINATORS.has(method))
          add('promise-combinator', `Promise.${method}() costs function memory (2 MB): read the KVS with sequential awaits`, node);
        break;
      }
      default:
        break;
    }
  });
  return violations;
}

/** Throws EdgeBuildError naming every broken limit; returns the size in bytes when the code is deployable. */
export function validateEdgeCode(code: string, source = 'edge router'): number {
  const violations = findViolations(code);
  if (violations.length > 0) {
    const list = violations.map((v) => `  [${v.limit}] ${v.message}${v.at ? ` (at ${v.at})` : ''}`).join('\n');
    throw new EdgeBuildError(`${source} breaks the CloudFront Functions runtime 2.0 limits:\n${list}`, violations, { source });
  }
  return Buffer.byteLength(code, 'utf8');
}
