import { z } from 'zod';
import type { WriteGate } from '../db/write-gate.js';
import type { Link } from '../links/link-repository.js';
import { hostOf, type LinkService } from '../links/link-service.js';
import { REPORT_REASONS, type AbuseRepository, type BlockedHost } from './abuse-repository.js';

/** A visitor's report, as the form sends it. No address, agent or cookie of theirs is kept. */
export const ReportFormSchema = z.object({
  reason: z.enum(REPORT_REASONS, { error: 'Choose what is wrong with this link.' }),
  details: z
    .string({ error: 'Send the details once.' })
    .trim()
    .max(1000, { error: 'Keep the details under 1,000 characters.' })
    .optional()
    .default(''),
  contact: z
    .string({ error: 'Send one way to reach you.' })
    .trim()
    .max(200, { error: 'Keep the contact under 200 characters.' })
    .optional()
    .default(''),
});

export type BanChoice = { reason: string; blockHost: boolean; disableOthers: boolean };
export type BanOutcome = { host: string; blocked: boolean; disabled: string[] };

export type AbuseService = ReturnType<typeof createAbuseService>;

/**
 * Reports from visitors, bans by the operator, and the host blocklist that the URL policy
 * consults for every new link (form, API, import). The blocklist is read once and kept until it
 * changes, as one array: the policy normalises it once per change.
 */
export function createAbuseService(deps: {
  abuse: AbuseRepository;
  links: LinkService;
  write: WriteGate;
  now: () => number;
}) {
  let blocklist: BlockedHost[] | null = null;
  let blockedNames: readonly string[] = [];
  const load = () => {
    blocklist ??= deps.abuse.blockedHosts();
    blockedNames = Object.freeze(blocklist.map((entry) => entry.host));
    return blocklist;
  };
  const changed = () => {
    blocklist = null;
    load();
  };

  return {
    report(link: Link, report: z.infer<typeof ReportFormSchema>): void {
      deps.write(() => deps.abuse.addReport({ urlId: link.id, ...report }, deps.now()));
    },

    openReports() {
      return deps.abuse.openReportGroups();
    },

    countOpenReports(): number {
      return deps.abuse.countOpenReports();
    },

    dismissReports(link: Link): void {
      deps.write(() => deps.abuse.resolveReports(link.id, deps.now()));
    },

    /**
     * Bans the link (410, "removed for abuse", code never reused) and closes its reports; on
     * request, blocks its host for every future link and disables the other links to it.
     */
    ban(link: Link, choice: BanChoice): BanOutcome {
      const host = hostOf(link.target);
      deps.links.ban(link, choice.reason);
      deps.write(() => deps.abuse.resolveReports(link.id, deps.now()));
      if (choice.blockHost && host !== '') {
        deps.write(() => deps.abuse.blockHost(host, choice.reason, deps.now()));
        changed();
      }
      const disabled =
        choice.disableOthers && host !== '' ? deps.links.disableLinksToHost(host) : [];
      return { host, blocked: choice.blockHost && host !== '', disabled };
    },

    unban(link: Link): void {
      deps.links.unban(link);
    },

    blockedHosts(): BlockedHost[] {
      return load();
    },

    /** The names the URL policy refuses (and their subdomains): one array until the list changes. */
    blockedHostNames(): readonly string[] {
      if (blocklist === null) load();
      return blockedNames;
    },

    blockHost(host: string, reason: string): void {
      deps.write(() => deps.abuse.blockHost(host, reason, deps.now()));
      changed();
    },

    unblockHost(host: string): boolean {
      const removed = deps.write(() => deps.abuse.unblockHost(host));
      changed();
      return removed;
    },
  };
}
