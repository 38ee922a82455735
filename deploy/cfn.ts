// The small slice of CloudFormation's shape the generators produce. Intrinsics are kept as plain
// objects: CloudFormation resolves them at deploy time, the tests read them as they are.
export type Intrinsic =
  | { Ref: string }
  | { 'Fn::GetAtt': [string, string] }
  | { 'Fn::Sub': string | [string, Record<string, CfnValue>] }
  | { 'Fn::Join': [string, CfnValue[]] };
export type CfnValue = string | number | boolean | null | Intrinsic | CfnValue[] | { [key: string]: CfnValue };

export interface CfnResource {
  Type: string;
  Properties?: Record<string, CfnValue>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
export type CfnResources = Record<string, CfnResource>;
export type CfnOutputs = Record<string, { Description?: string; Value: CfnValue; Export?: { Name: CfnValue } }>;

export const ref = (logicalId: string): Intrinsic => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string): Intrinsic => ({ 'Fn::GetAtt': [logicalId, attribute] });

// A type alias (not an interface) so a statement is assignable to CfnValue.
export type PolicyStatement = {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: CfnValue[];
};
