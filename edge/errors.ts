import { FlatlineError } from '../functions/domain/errors.js';

/** One broken CloudFront Functions limit found in a build output. */
export interface EdgeViolation {
  /** Which limit: size | syntax | imports | exports | handler | forbidden-global | dynamic-code | unsupported-syntax | console | promise-combinator | kvs-store */
  limit: string;
  message: string;
  /** line:column in the built code, when the violation is tied to a place. */
  at?: string;
}

/** The edge router cannot be built, or its output breaks a runtime cloudfront-js-2.0 limit. */
export class EdgeBuildError extends FlatlineError {
  readonly violations: EdgeViolation[];
  constructor(message: string, violations: EdgeViolation[], context: Record<string, unknown> = {}) {
    super('Flatline.EdgeBuildError', message, { ...context, violations });
    this.violations = violations;
  }
}

/** The function threw (or returned something CloudFront rejects) in the local harness; CloudFront would answer 503. */
export class EdgeFunctionError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('Flatline.EdgeFunctionError', message, context, options);
  }
}
