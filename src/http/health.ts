import type { RequestHandler } from 'express';

/** One named readiness check: the store, Slack, a worker… Others add theirs to `HttpOptions.readiness`. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<{ ok: boolean; detail?: string }>;
}

/** A check that has not answered by then counts as failed, so `/readyz` itself never hangs. */
const CHECK_TIMEOUT_MS = 2000;

/** Runs one check within the timeout; a throw or a timeout is a failure with its reason as detail. */
async function run({ check }: ReadinessCheck): Promise<{ ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
      CHECK_TIMEOUT_MS,
    );
    timer.unref();
  });
  try {
    return await Promise.race([
      check().catch((error: unknown) => ({
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/readyz`: 200 `{ status: 'ready', checks }` when every check passes, else 503 with
 * `status: 'not_ready'`; each check is listed by name with `ok` and, when it has one, a `detail`.
 */
export function readinessHandler(checks: readonly ReadinessCheck[]): RequestHandler {
  return async (_req, res) => {
    const results = await Promise.all(checks.map(run));
    const ready = results.every((result) => result.ok);
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({
        status: ready ? 'ready' : 'not_ready',
        checks: Object.fromEntries(checks.map((c, i) => [c.name, results[i]])),
      });
  };
}
