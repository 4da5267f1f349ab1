import { Router, type Response } from 'express';
import { HttpError } from '../http/http-error.js';
import { requireFormBody, stringFields } from '../http/form-values.js';
import { retryInText, type RequestLimit } from '../http/rate-limits.js';
import { text, type Text } from '../i18n/catalog.js';
import { isLinkCode } from '../links/link.js';
import type { LinkService } from '../links/link-service.js';
import { linkDomainKeyOf } from '../links/link-routes.js';
import { REPORT_REASONS } from './abuse-store.js';
import { ReportFormSchema, reportProblem, type AbuseService } from './abuse-service.js';

/**
 * `/report/:code`: anyone who meets a link on its preview or its 410 page may report it to the
 * operator. The report keeps what the person typed and nothing about them (no IP address). It
 * is rate-limited per client like any form.
 */
export function createReportRoutes(deps: {
  links: LinkService;
  abuse: AbuseService;
  limit: RequestLimit;
}): Router {
  const router = Router({ caseSensitive: true });

  /** The code on the domain this host serves (ADR 031), as its preview and 410 page found it. */
  async function findLink(code: string, res: Response) {
    const domainKey = linkDomainKeyOf(res);
    const link =
      isLinkCode(code) && domainKey !== null ? await deps.links.findLink(code, domainKey) : null;
    return link && link.deletedAt === null ? link : null;
  }

  router.get('/report/:code', async (req, res, next) => {
    const link = await findLink(String(req.params.code), res);
    if (!link) return next();
    res.render('report', { link, reasons: REPORT_REASONS, values: {}, errors: {} });
  });

  router.post('/report/:code', requireFormBody(), async (req, res, next) => {
    const link = await findLink(String(req.params.code), res);
    if (!link) return next();
    const verdict = await deps.limit(req, res);
    if (verdict?.limited) {
      throw new HttpError(429, text('report.tooMany', { when: retryInText(verdict.resetSeconds) }));
    }
    const parsed = ReportFormSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const errors: Record<string, Text> = {};
      for (const issue of parsed.error.issues) {
        const { field, problem } = reportProblem(issue);
        errors[field] ??= problem;
      }
      res.status(422).render('report', {
        link,
        reasons: REPORT_REASONS,
        values: stringFields(req.body),
        errors,
      });
      return;
    }
    await deps.abuse.report(link, parsed.data);
    res.status(200).render('report-sent', { link });
  });

  return router;
}
