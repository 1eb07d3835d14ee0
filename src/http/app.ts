import express, { type Express, type Router } from 'express';
import type { Logger } from '../core/logger';
import { errorHandler, notFoundHandler } from './error-handler';
import { healthRoutes, type ReadinessCheck } from './health-routes';

export interface HttpAppOptions {
  logger: Logger;
  readiness: ReadonlyArray<ReadinessCheck>;
  /** Trust X-Forwarded-* (behind a reverse proxy only). */
  trustProxy: boolean;
  /** Routers mounted in order, before the 404 handler (API, console, Twilio webhooks). */
  routers?: ReadonlyArray<Router>;
  /** Directory of static console pages, when served. */
  staticDir?: string;
}

export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  app.use(healthRoutes(options.readiness));
  for (const router of options.routers ?? []) app.use(router);
  if (options.staticDir) app.use(express.static(options.staticDir, { index: 'index.html' }));
  app.use(notFoundHandler());
  app.use(errorHandler(options.logger));
  return app;
}
