import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Awaitable } from '../db/awaitable.js';

/**
 * What one part of snip says about itself: its field of /healthz's JSON (`database`, and any
 * other part added beside it) and what that means for the whole answer (ADR 046).
 */
export type HealthReport = {
  /**
   * `ok`; `degraded`: snip still serves redirects and pages, but something needs the operator
   * (the answer stays 200, so Fly's proxy keeps routing to the only machine); `unavailable`:
   * nothing can be served (503).
   */
  status: 'ok' | 'degraded' | 'unavailable';
  /** What is wrong, in words for the log (it may name files: never sent); null when ok. */
  problem: string | null;
  /** The part's field in the JSON. */
  field: Record<string, unknown>;
};

export type HealthPart = {
  /** The field's name in the JSON. */
  name: string;
  /** What the log says when the part is well again. */
  healthy: string;
  check(): Awaitable<HealthReport>;
};

const RANK = { ok: 0, degraded: 1, unavailable: 2 } as const;

/**
 * `GET /healthz`: `{"status": "ok" | "degraded" | "unavailable", <part>: {…}, …}`, 503 only when
 * a part is unavailable. Never cached. A part's change of health is logged once, with what is
 * wrong, so the log explains the answers.
 */
export function createHealthHandler(parts: readonly HealthPart[], logger: Logger): RequestHandler {
  const lastProblem = new Map<string, string | null>(parts.map((part) => [part.name, null]));
  return async (_req, res) => {
    const reports = await Promise.all(
      parts.map(async (part) => [part, await part.check()] as const),
    );
    let status: HealthReport['status'] = 'ok';
    const body: Record<string, unknown> = {};
    for (const [part, report] of reports) {
      if (RANK[report.status] > RANK[status]) status = report.status;
      body[part.name] = report.field;
      if (report.problem !== lastProblem.get(part.name)) {
        if (report.problem === null) logger.info(`healthy again: ${part.healthy}`);
        else
          logger.error(
            { part: part.name, problem: report.problem },
            `unhealthy: ${report.problem}`,
          );
        lastProblem.set(part.name, report.problem);
      }
    }
    res
      .status(status === 'unavailable' ? 503 : 200)
      .set('Cache-Control', 'no-store')
      .json({ status, ...body });
  };
}
