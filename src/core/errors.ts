/**
 * The one error family. Every error the service raises on purpose is a
 * Siaga112Error with a stable `code`; the HTTP layer maps `httpStatus` and
 * `details` to the one JSON error shape.
 */
export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `menu.options.2.category`. */
  field: string;
  message: string;
}

export class Siaga112Error extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, httpStatus = 500, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = httpStatus;
    this.details = details;
  }
}

/** A configuration file or environment variable is wrong; start-up stops. */
export class ConfigError extends Siaga112Error {
  constructor(message: string, details?: Record<string, unknown>) {
    super('config_invalid', message, 500, details);
  }
}

/** Input from a user, an API client or a webhook is malformed. Nothing was changed. */
export class ValidationError extends Siaga112Error {
  readonly issues: FieldIssue[];
  constructor(message: string, issues: FieldIssue[] = []) {
    super('validation_failed', message, 400, { issues });
    this.issues = issues;
  }
}

export class NotFoundError extends Siaga112Error {
  constructor(what: string, id: string) {
    super('not_found', `${what} ${id} does not exist`, 404, { what, id });
  }
}

/** The request is well formed but conflicts with the current state. */
export class ConflictError extends Siaga112Error {
  constructor(message: string, details?: Record<string, unknown>, code = 'conflict') {
    super(code, message, 409, details);
  }
}

/** A state machine was asked for a transition it does not allow. */
export class IllegalTransitionError extends ConflictError {
  constructor(entity: string, id: string, from: string, to: string) {
    super(`${entity} ${id} cannot go from ${from} to ${to}`, { entity, id, from, to }, 'illegal_transition');
  }
}

export class UnauthenticatedError extends Siaga112Error {
  constructor(message = 'Log in first') {
    super('unauthenticated', message, 401);
  }
}

export class ForbiddenError extends Siaga112Error {
  constructor(message = 'Your role does not allow this') {
    super('forbidden', message, 403);
  }
}

export class TooManyRequestsError extends Siaga112Error {
  constructor(message: string, retryAfterSeconds: number) {
    super('too_many_requests', message, 429, { retryAfterSeconds });
  }
}

/** A dependency (Redis, the store, the PBX) is not reachable right now. */
export class UnavailableError extends Siaga112Error {
  constructor(dependency: string, message: string, options?: { cause?: unknown }) {
    super('unavailable', message, 503, { dependency }, options);
  }
}

/** The PBX refused or failed a command. `gone` marks "the channel no longer exists" (the caller hung up). */
export class TelephonyError extends Siaga112Error {
  readonly gone: boolean;
  constructor(message: string, gone = false, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(gone ? 'telephony_gone' : 'telephony_failed', message, 502, details, options);
    this.gone = gone;
  }
}

export function isSiaga112Error(err: unknown): err is Siaga112Error {
  return err instanceof Siaga112Error;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
