/**
 * The one error family of the service. Each error knows the HTTP status and body code it maps to
 * (CONTRACT §5); anything else that escapes a handler is treated as our own fault (503).
 */
export type BadRequestCode =
  | 'invalid_json'
  | 'invalid_body'
  | 'missing_field'
  | 'invalid_field'
  | 'wrong_route'
  | 'unknown_event_type'
  | 'stale_event';

export abstract class WebhookError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
}

/** Signed but unusable: answered 400 and quarantined so that it can be replayed once fixed. */
export class BadRequest extends WebhookError {
  override readonly name = 'BadRequest';
  readonly status = 400;
  /** What the log line may say; the message itself goes to Wellhub and the quarantine record. */
  readonly logMessage: string;
  constructor(
    readonly code: BadRequestCode,
    message: string,
    options?: ErrorOptions & { logMessage?: string },
  ) {
    super(message, options);
    this.logMessage = options?.logMessage ?? message;
  }
}

export class InvalidSignature extends WebhookError {
  override readonly name = 'InvalidSignature';
  readonly status = 401;
  readonly code = 'invalid_signature';
}

export class PayloadTooLarge extends WebhookError {
  override readonly name = 'PayloadTooLarge';
  readonly status = 413;
  readonly code = 'payload_too_large';
}

/** Our own fault (database or secret unreachable): 503 so that Wellhub retries. */
export class Unavailable extends WebhookError {
  override readonly name = 'Unavailable';
  readonly status = 503;
  readonly code = 'unavailable';
}

/** The gym API: the caller's token is missing or wrong. */
export class Unauthorized extends WebhookError {
  override readonly name = 'Unauthorized';
  readonly status = 401;
  readonly code = 'unauthorized';
}

/** The gym API: no class, slot or booking with that reference. */
export class NotFound extends WebhookError {
  override readonly name = 'NotFound';
  readonly status = 404;
  readonly code = 'not_found';
}

/** The gym API: the change contradicts what the records hold (seats taken, a canceled slot). */
export class Conflict extends WebhookError {
  override readonly name = 'Conflict';
  readonly status = 409;
  readonly code = 'conflict';
}
