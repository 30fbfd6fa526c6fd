/** A failed OneTrust call, classified like AepError: retry 429, 5xx and network failures; not the rest. */
export interface OneTrustErrorFields {
  status?: number;
  code?: string;
  retryable: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

export class OneTrustError extends Error {
  override readonly name = 'OneTrustError';
  readonly status?: number;
  readonly code?: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(message: string, fields: OneTrustErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.status = fields.status;
    this.code = fields.code;
    this.retryable = fields.retryable;
    this.retryAfterMs = fields.retryAfterMs;
  }
}
