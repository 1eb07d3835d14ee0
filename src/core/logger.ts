import winston from 'winston';

/** The one logger type the service passes around. */
export type Logger = winston.Logger;

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'silent';

export interface LoggerOptions {
  level: LogLevel;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to read them back. */
  stream?: NodeJS.WritableStream;
  /** Fields on every line (service, instance). */
  defaultMeta?: Record<string, unknown>;
}

/** JSON lines, one per log call, with an ISO timestamp. */
export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level === 'silent' ? 'error' : options.level,
    silent: options.level === 'silent',
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: options.defaultMeta,
    transports: [transport],
  });
}

/**
 * Mask a caller number for logs: keep the first four and last four digits
 * (`0812****5678`). Short numbers (112, 110) are not personal and stay.
 */
export function maskNumber(number: string): string {
  if (number.length <= 8) return number;
  return number.slice(0, 4) + '*'.repeat(number.length - 8) + number.slice(-4);
}

/** A child logger whose every line carries the call id (and, when given, the masked caller). */
export function callLogger(
  logger: Logger,
  callId: string,
  caller?: { number: string; mask: boolean },
): Logger {
  const meta: Record<string, unknown> = { callId };
  if (caller) meta.caller = caller.mask ? maskNumber(caller.number) : caller.number;
  return logger.child(meta);
}

/** A logger that writes nothing: for tests and library use. */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent' });
}
