import express, { type RequestHandler } from 'express';
import { ValidationError } from '../../core/errors';

/** Small JSON bodies; a body that does not parse is a ValidationError like any other bad input. */
export function jsonBody(limit = '32kb'): RequestHandler {
  const parse = express.json({ limit });
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const message = err instanceof Error ? err.message : 'unreadable body';
      next(new ValidationError(`The request body is not valid JSON: ${message}`, [{ field: '(body)', message }]));
    });
}
