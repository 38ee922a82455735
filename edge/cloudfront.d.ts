// The module CloudFront Functions runtime 2.0 provides to the function (never bundled: `external` in edge/build.ts).
declare module 'cloudfront' {
  import type { CfModule } from './runtime-types.js';
  const cf: CfModule;
  export default cf;
}
