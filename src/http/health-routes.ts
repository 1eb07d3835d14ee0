import { Router } from 'express';

/** Something /readyz asks: resolves when reachable, throws with the reason when not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** Health endpoints: /healthz = the process answers; /readyz = its dependencies answer too. */
export function healthRoutes(checks: ReadonlyArray<ReadinessCheck>, timeoutMs = 2000): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async (c) => {
        try {
          await withTimeout(c.check(), timeoutMs, `${c.name} did not answer within ${timeoutMs} ms`);
          return { name: c.name, ok: true as const };
        } catch (err) {
          return { name: c.name, ok: false as const, reason: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const failed = results.filter((r) => !r.ok);
    const checksBody = Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : r.reason]));
    if (failed.length === 0) {
      res.json({ status: 'ready', checks: checksBody });
      return;
    }
    res.status(503).json({
      error: {
        code: 'unavailable',
        message: `not ready: ${failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}`,
        details: { checks: checksBody },
      },
    });
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
