import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isSiaga112Error, NotFoundError, ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';

/**
 * The one JSON error shape of every error response:
 * `{ "error": { "code": "...", "message": "...", "details": {...} } }`.
 */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(new NotFoundError('route', `${req.method} ${req.path}`));
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let status = 500;
    let body: ErrorBody;
    if (isSiaga112Error(err)) {
      status = err.httpStatus;
      body = { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
      const retry = err.details?.retryAfterSeconds;
      if (typeof retry === 'number') res.setHeader('Retry-After', String(Math.ceil(retry)));
    } else if (isBodyParserError(err)) {
      // Malformed JSON or form bodies from express.json()/urlencoded().
      const v = new ValidationError(`request body is not valid: ${err.message}`, [{ field: 'body', message: err.message }]);
      status = 400;
      body = { error: { code: v.code, message: v.message, details: v.details } };
    } else {
      body = { error: { code: 'internal', message: 'Internal error; it has been logged' } };
    }
    if (status >= 500) logger.error('request failed', { method: req.method, path: req.path, err });
    res.status(status).json(body);
  };
}

function isBodyParserError(err: unknown): err is Error & { status: number; type: string } {
  return err instanceof Error && typeof (err as { type?: unknown }).type === 'string' && (err as { status?: unknown }).status === 400;
}
