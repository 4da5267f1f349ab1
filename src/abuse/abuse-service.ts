import { z } from 'zod';
import { text, type Text } from '../i18n/catalog.js';
import type { WriteGate } from '../db/write-gate.js';
import type { Link } from '../links/link.js';
import { hostOf, type LinkService } from '../links/link-service.js';
import { REPORT_REASONS, type AbuseStore, type BlockedHost } from './abuse-store.js';

/** The longest details and contact a report keeps, in characters. */
const MAX_DETAILS = 1000;
const MAX_CONTACT = 200;

/**
 * A visitor's report, as the form sends it. No address, agent or cookie of theirs is kept. What
 * the form says of a field it refuses is reportProblem's.
 */
export const ReportFormSchema = z.object({
  reason: z.enum(REPORT_REASONS),
  details: z.string().trim().max(MAX_DETAILS).optional().default(''),
  contact: z.string().trim().max(MAX_CONTACT).optional().default(''),
});

/** The fields of the report form, each with what it says when too long and when malformed. */
const REPORT_PROBLEMS: Readonly<Record<string, { tooLong: Text; other: Text }>> = {
  reason: { tooLong: text('report.problem.reason'), other: text('report.problem.reason') },
  details: {
    tooLong: text('report.problem.detailsTooLong', { max: MAX_DETAILS }),
    other: text('report.problem.detailsOnce'),
  },
  contact: {
    tooLong: text('report.problem.contactTooLong', { max: MAX_CONTACT }),
    other: text('report.problem.contactOnce'),
  },
};

/** What the report form says of a field ReportFormSchema refused, in the reader's language. */
export function reportProblem(issue: z.core.$ZodIssue): { field: string; problem: Text } {
  const field = String(issue.path[0]);
  const problems = Object.hasOwn(REPORT_PROBLEMS, field)
    ? REPORT_PROBLEMS[field]!
    : REPORT_PROBLEMS.reason!;
  return { field, problem: issue.code === 'too_big' ? problems.tooLong : problems.other };
}

export type BanChoice = { reason: string; blockHost: boolean; disableOthers: boolean };
export type BanOutcome = { host: string; blocked: boolean; disabled: string[] };

export type AbuseService = ReturnType<typeof createAbuseService>;

/**
 * Reports from visitors, bans by the operator, and the host blocklist that the URL policy
 * consults for every new link (form, API, import). The blocklist is read once and kept, as one
 * array (the policy normalises it once per change), until it changes here or, when other
 * machines share the database and may change it, until it is `blocklistTtlMs` old.
 */
export function createAbuseService(deps: {
  abuse: AbuseStore;
  links: LinkService;
  write: WriteGate;
  now: () => number;
  /** How long the blocklist read from the database is trusted; for ever by default (one machine). */
  blocklistTtlMs?: number;
}) {
  const ttlMs = deps.blocklistTtlMs ?? Number.POSITIVE_INFINITY;
  let blocklist: { hosts: BlockedHost[]; names: readonly string[]; readAt: number } | null = null;
  const load = async () => {
    if (blocklist === null || deps.now() - blocklist.readAt >= ttlMs) {
      const readAt = deps.now();
      const hosts = await deps.abuse.blockedHosts();
      blocklist = { hosts, names: Object.freeze(hosts.map((entry) => entry.host)), readAt };
    }
    return blocklist;
  };
  const changed = () => {
    blocklist = null;
  };

  return {
    async report(link: Link, report: z.infer<typeof ReportFormSchema>): Promise<void> {
      await deps.write(() => deps.abuse.addReport({ urlId: link.id, ...report }, deps.now()));
    },

    async openReports() {
      return deps.abuse.openReportGroups();
    },

    async countOpenReports(): Promise<number> {
      return deps.abuse.countOpenReports();
    },

    async dismissReports(link: Link): Promise<void> {
      await deps.write(() => deps.abuse.resolveReports(link.id, deps.now()));
    },

    /**
     * Bans the link (410, "removed for abuse", code never reused) and closes its reports; on
     * request, blocks its host for every future link and disables the other links to it.
     * Each step commits before the next, in this order: the ban, the reports, the host's block,
     * then the other links in batches that let other requests through (ADR 021). A ban cut
     * short (a crash, a full disk) keeps every step it finished, so the banned link never
     * redirects again; the other links it had not reached stay active until the link is banned
     * again with the same choices, which finishes the job.
     */
    async ban(link: Link, choice: BanChoice): Promise<BanOutcome> {
      const host = hostOf(link.target);
      await deps.links.ban(link, choice.reason);
      await deps.write(() => deps.abuse.resolveReports(link.id, deps.now()));
      if (choice.blockHost && host !== '') {
        await deps.write(() => deps.abuse.blockHost(host, choice.reason, deps.now()));
        changed();
      }
      const disabled =
        choice.disableOthers && host !== '' ? await deps.links.disableLinksToHost(host) : [];
      return { host, blocked: choice.blockHost && host !== '', disabled };
    },

    async unban(link: Link): Promise<void> {
      await deps.links.unban(link);
    },

    async blockedHosts(): Promise<BlockedHost[]> {
      return (await load()).hosts;
    },

    /** The names the URL policy refuses (and their subdomains): one array until the list changes. */
    async blockedHostNames(): Promise<readonly string[]> {
      return (await load()).names;
    },

    async blockHost(host: string, reason: string): Promise<void> {
      await deps.write(() => deps.abuse.blockHost(host, reason, deps.now()));
      changed();
    },

    async unblockHost(host: string): Promise<boolean> {
      const removed = await deps.write(() => deps.abuse.unblockHost(host));
      changed();
      return removed;
    },
  };
}
