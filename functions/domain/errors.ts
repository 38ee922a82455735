// Typed errors. `name` is what Step Functions matches in Retry/Catch (Lambda reports error.name as the
// error type), so each class sets a stable, namespaced name and carries the context it was raised in.
export class FlatlineError extends Error {
  readonly context: Record<string, unknown>;
  constructor(name: string, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
    this.context = context;
  }
}

/** The channel registry is invalid; the message names the channel and the field. */
export class RegistryError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('Flatline.RegistryError', message, context);
  }
}

/** Input (an event, a file, a step's input) failed validation. Never retried. */
export class InvalidInputError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('Flatline.InvalidInput', message, context);
  }
}

/** A channel id that the registry does not know. */
export class UnknownChannelError extends FlatlineError {
  constructor(channelId: string) {
    super('Flatline.UnknownChannel', `unknown channel "${channelId}": not in the registry`, { channelId });
  }
}

/** A Drill Requested for a channel whose primary MediaLive channel does not carry flatline:drill=allowed. */
export class DrillNotAllowedError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('Flatline.DrillNotAllowed', message, context);
  }
}
