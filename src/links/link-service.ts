import { type Said } from './link-text.js';
import { text, type Text } from '../i18n/catalog.js';
import {
  createManageToken,
  hashManageToken,
  MANAGE_TOKEN_PATTERN,
  tokenMatches,
} from './manage-token.js';
import { checkAlias, RESERVED_WORDS } from './alias-policy.js';
import type { CodeGenerator } from './code-generator.js';
import { unstorableFields } from './link-limits.js';
import { checkLinkLimits, type LinkOptions, type OptionErrors } from './link-options.js';
import {
  DEFAULT_DOMAIN_KEY,
  domainKeyOf,
  type Link,
  type LinkQuery,
  type LinkStateName,
  type RedirectTarget,
} from './link.js';
import type { Awaitable } from '../db/awaitable.js';
import type { LinkStore } from './link-store.js';
import type { TagStore } from './tag-store.js';
import { checkTags, MAX_TAGS, tagKey, type TagSummary } from './tags.js';
import { linkKey, type RedirectCache } from './redirect-cache.js';
import { checkTargetUrl } from './url-policy.js';
import { mergeUtm, type Utm } from './utm.js';
import { canonicalRules, rulesFromText, type RedirectRule } from './redirect-rules.js';
import { hashPassword, newSigningKey, passwordProblem, verifyPassword } from './link-password.js';
import type { WriteGate } from '../db/write-gate.js';
import { WRITE_BATCH_SIZE, writeInBatches, yieldToEventLoop } from '../db/batched-writes.js';

/** A link's key in the redirect cache: its code on its domain (ADR 031). */
function cacheKeyOf(link: Pick<Link, 'code' | 'domainId'>): string {
  return linkKey(domainKeyOf(link.domainId), link.code);
}

export type ShortenInput = {
  url: string;
  alias: string;
  options: LinkOptions;
  /** The link's tags, as a door read them (checked again here); none when absent. */
  tags?: readonly string[];
  /** A generated code's length when a client asks for one (Shlink's shortCodeLength). */
  codeLength?: number;
  /** The API key that asks; only its own links are ever reused (findReusable). */
  apiKeyId?: number | null;
  /** The forms' UTM fields, written into the URL once the policy has normalised it. */
  utm?: Utm;
  /** The link's password; null, absent or '' for none (link-password.ts). */
  password?: string | null;
  /** The added domain the link goes on (domains.id); null or absent: the default domain. */
  domainId?: number | null;
};

export type UrlContext = {
  /** Host names that are snip itself (configured base URL and the request's host). */
  ownHosts: readonly string[];
  /** The form turns `example.com` into `https://example.com/`; the API does not. */
  addMissingScheme: boolean;
};

/**
 * What a form's fields were refused for: Texts the pages word in their language and the APIs
 * in English (englishOf); an option's reading problem is still an English string.
 */
export type FieldErrors = Partial<Record<'url' | 'alias' | 'tags' | 'password', Text>> &
  OptionErrors;

/** A link and its tags, in their owner's order. */
export type TaggedLink = Link & { tags: string[] };

export type TagChangeResult = { ok: true } | { ok: false; message: Said };

export type ShortenResult =
  | { ok: true; link: Link; manageToken: string }
  | { ok: false; status: 409 | 422; errors: FieldErrors };

export type UpdateResult = { ok: true } | { ok: false; status: 422; errors: FieldErrors };

export type LinkState =
  | { kind: 'active' }
  | { kind: 'expired'; by: 'date' | 'visits' }
  | { kind: 'scheduled' }
  | { kind: 'disabled' }
  | { kind: 'banned'; reason: string }
  | { kind: 'deleted' };

export type LinkServiceDeps = {
  links: LinkStore;
  tags: TagStore;
  generateCode: CodeGenerator;
  now: () => number;
  maxUrlLength: number;
  /** Visits counted in memory and not yet written, for the visit limit. */
  pendingVisits: (linkId: number) => number;
  /** Runs each write: refuses it when storage cannot take it (src/db/write-gate.ts). */
  write: WriteGate;
  /** The admin's host blocklist; the same array until it changes. */
  blockedHosts: () => Awaitable<readonly string[]>;
  /** Redirect rows kept in memory; every change below invalidates the link's code. */
  redirectCache: RedirectCache;
  /**
   * Told of each link read with a value no door accepts (written into the database by other
   * means): it is still answered, with that value shown as missing, and the app logs it.
   */
  onUnstorableLink?: (link: Link, fields: string[]) => void;
};

/** A generated code collides with probability ~n/47^7; a few tries make a failure astronomically rare. */
const MAX_CODE_ATTEMPTS = 8;

const reserved = new Set(RESERVED_WORDS);

/**
 * Deleted, then banned, then disabled, then expired, then scheduled: the page says the most final reason. A row without a
 * usable target (a tombstone whose deletion mark was lost, say by a schema rollback) counts as
 * deleted: nothing may ever redirect to an empty or non-web Location.
 */
export function linkState(
  link: Pick<
    Link,
    'target' | 'expiresAt' | 'maxVisits' | 'visits' | 'disabledAt' | 'deletedAt' | 'bannedAt'
  > & { banReason?: string | null; startsAt?: number | null },
  now: number,
  pendingVisits = 0,
): LinkState {
  if (link.deletedAt !== null || !hasWebTarget(link.target)) return { kind: 'deleted' };
  if (link.bannedAt !== null) return { kind: 'banned', reason: link.banReason ?? '' };
  if (link.disabledAt !== null) return { kind: 'disabled' };
  if (link.expiresAt !== null && now >= link.expiresAt) return { kind: 'expired', by: 'date' };
  if (link.maxVisits !== null && link.visits + pendingVisits >= link.maxVisits) {
    return { kind: 'expired', by: 'visits' };
  }
  // Judged on every call, cached row or not: the link redirects from the very instant.
  if (link.startsAt != null && now < link.startsAt) return { kind: 'scheduled' };
  return { kind: 'active' };
}

/** Stored targets are normalised http(s) URLs; a prefix check is enough and costs nothing. */
function hasWebTarget(target: string): boolean {
  // A row edited by hand may hold anything: it is then no target, never an exception.
  return (
    typeof target === 'string' && (target.startsWith('https://') || target.startsWith('http://'))
  );
}

/** The host name of a stored target, lower-case (targets are normalised); '' if it has none. */
export function hostOf(target: string): string {
  return URL.canParse(target) ? new URL(target).hostname : '';
}

function isHostOrSubdomain(host: string, parent: string): boolean {
  return host === parent || host.endsWith(`.${parent}`);
}

export type LinkService = ReturnType<typeof createLinkService>;

export function createLinkService(deps: LinkServiceDeps) {
  async function checkUrl(
    url: string,
    context: UrlContext,
    purpose: 'shorten' | 'change',
    utm?: Utm,
  ) {
    const policy = {
      maxLength: deps.maxUrlLength,
      ownHosts: context.ownHosts,
      addMissingScheme: context.addMissingScheme,
      blockedHosts: await deps.blockedHosts(),
      purpose,
    };
    const checked = checkTargetUrl(url, policy);
    if (!checked.ok || utm === undefined) return checked;
    const merged = mergeUtm(checked.url, utm);
    // With its UTM parameters the URL must still pass: the length limit above all.
    if (merged === checked.url) return checked;
    const withUtm = checkTargetUrl(merged, { ...policy, addMissingScheme: false });
    return withUtm.ok
      ? withUtm
      : { ...withUtm, message: text('links.url.withUtm', { problem: withUtm.message }) };
  }

  /**
   * A link's rules with every rule's target through the URL policy, as the link's own target
   * goes; the rules' text is rewritten with the targets as the policy stores them.
   */
  async function checkRuleTargets(
    options: LinkOptions,
    context: UrlContext,
    purpose: 'shorten' | 'change',
  ): Promise<{ ok: true; options: LinkOptions } | { ok: false; message: Said }> {
    if (options.rules === null) return { ok: true, options };
    const reading = rulesFromText(options.rules);
    if (!reading.ok) return { ok: false, message: reading.problem };
    const rules: RedirectRule[] = [];
    for (const [index, rule] of reading.rules.entries()) {
      const url = await checkUrl(rule.url, context, purpose);
      if (!url.ok) {
        return {
          ok: false,
          message: text('links.rules.target', { index: index + 1, problem: url.message }),
        };
      }
      rules.push({ ...rule, url: url.url });
    }
    return { ok: true, options: { ...options, rules: canonicalRules(rules) } };
  }

  async function insertWithGeneratedCode(
    target: string,
    options: LinkOptions,
    manageTokenHash: Buffer,
    codeLength: number | undefined,
    apiKeyId: number | null,
    passwordHash: string | null,
    domainId: number | null,
  ): Promise<Link> {
    for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
      const code = deps.generateCode(codeLength);
      if (reserved.has(code.toLowerCase())) continue;
      const result = await deps.links.insertLink(
        { code, domainId, target, manageTokenHash, apiKeyId, passwordHash, ...options },
        deps.now(),
      );
      if (result.ok) return result.link;
    }
    throw new Error(`no free code after ${MAX_CODE_ATTEMPTS} attempts; raise CODE_LENGTH`);
  }

  function activeOrNull(link: RedirectTarget | null): RedirectTarget | null {
    if (link === null) return null;
    return linkState(link, deps.now(), deps.pendingVisits(link.id)).kind === 'active' ? link : null;
  }

  function remember(key: string, link: RedirectTarget | null): RedirectTarget | null {
    if (link === null) return null;
    // Unknown codes are not cached (a miss stays a miss only until someone takes the code).
    // Nor are links with a visit limit: every flush raises their count in the database, so a
    // cached row would let them run past the limit.
    if (link.maxVisits === null) deps.redirectCache.set(key, link);
    return activeOrNull(link);
  }

  /** Reports a link with values no door accepts, and hands it on unchanged. */
  function inspect<T extends Link | null>(link: T): T {
    if (link !== null && deps.onUnstorableLink) {
      const fields = unstorableFields(link);
      if (fields.length > 0) deps.onUnstorableLink(link, fields);
    }
    return link;
  }

  async function tagsOf(links: readonly Pick<Link, 'id'>[]): Promise<Map<number, string[]>> {
    const byLink = new Map<number, string[]>(links.map((link) => [link.id, []]));
    if (links.length === 0) return byLink;
    for (const row of await deps.tags.tagsOf(links.map((link) => link.id))) {
      byLink.get(row.linkId)?.push(row.name);
    }
    return byLink;
  }

  // The key that signs unlock cookies: generated once and kept in the database, so every
  // machine on it signs with the same (ADR 027). Read once per process.
  let unlockKey: Promise<Buffer> | null = null;

  return {
    async shorten(input: ShortenInput, context: UrlContext): Promise<ShortenResult> {
      const url = await checkUrl(input.url, context, 'shorten', input.utm);
      const alias = checkAlias(input.alias);
      // Every door bounds these already; this is the last line, so that none can store more.
      const errors: FieldErrors = checkLinkLimits(input.options);
      const ruled = await checkRuleTargets(input.options, context, 'shorten');
      if (!ruled.ok) errors.rules ??= ruled.message;
      const options = ruled.ok ? ruled.options : input.options;
      const tags = checkTags(input.tags ?? []);
      const password = input.password ?? '';
      const refusedPassword = password === '' ? null : passwordProblem(password);
      if (refusedPassword !== null) errors.password = refusedPassword;
      if (!url.ok) errors.url = url.message;
      if (!alias.ok) errors.alias = alias.message;
      if (!tags.ok) errors.tags = tags.message;
      if (!url.ok || !alias.ok || !tags.ok || Object.keys(errors).length > 0) {
        return { ok: false, status: 422, errors };
      }
      const tagged = async (link: Link): Promise<Link> => {
        if (tags.tags.length > 0) {
          await deps.write(() => deps.tags.setTags(link.id, tags.tags, deps.now()));
        }
        return link;
      };

      const { token, hash } = createManageToken();
      const apiKeyId = input.apiKeyId ?? null;
      const domainId = input.domainId ?? null;
      const passwordHash = password === '' ? null : await hashPassword(password);
      if (alias.alias === null) {
        const link = await deps.write(() =>
          insertWithGeneratedCode(
            url.url,
            options,
            hash,
            input.codeLength,
            apiKeyId,
            passwordHash,
            domainId,
          ),
        );
        return { ok: true, link: await tagged(link), manageToken: token };
      }
      const code = alias.alias;
      const result = await deps.write(() =>
        deps.links.insertLink(
          {
            code,
            domainId,
            target: url.url,
            manageTokenHash: hash,
            apiKeyId,
            passwordHash,
            ...options,
          },
          deps.now(),
        ),
      );
      if (result.ok) return { ok: true, link: await tagged(result.link), manageToken: token };
      return {
        ok: false,
        status: 409,
        errors: { alias: text('links.alias.taken', { alias: alias.alias }) },
      };
    },

    /** The link with this code on this domain (its domain key; the default domain without one). */
    async findLink(code: string, domainKey = DEFAULT_DOMAIN_KEY): Promise<Link | null> {
      return inspect(await deps.links.findLink(code, domainKey));
    },

    /**
     * The newest active link that this API key made to the URL as the policy would store it,
     * for idempotent creation (the API's `reuse`, Shlink's findIfExists, Kutt's reuse); with a
     * `code`, only the link with that code (Shlink's customSlug). Null when there is none, the
     * URL would be refused, or no key asks. A link made by someone else is never handed out:
     * its maker holds its management token and could point it elsewhere later (ADR 020).
     */
    async findReusable(
      url: string,
      apiKeyId: number | null,
      context: UrlContext,
      code = '',
      domainKey: number = DEFAULT_DOMAIN_KEY,
    ): Promise<Link | null> {
      if (apiKeyId === null) return null;
      const checked = await checkUrl(url, context, 'shorten');
      if (!checked.ok) return null;
      const existing = await deps.links.findActiveByTarget(
        checked.url,
        apiKeyId,
        deps.now(),
        code,
        domainKey,
      );
      // A protected link is not the plain link asked for (and with a password, nothing is reused).
      if (!existing || existing.passwordHash !== null) return null;
      return linkState(existing, deps.now(), deps.pendingVisits(existing.id)).kind === 'active'
        ? existing
        : null;
    },

    /** A page of links (any state) and how many match the query in all. */
    async listLinks(query: LinkQuery): Promise<{ links: Link[]; total: number }> {
      const page = await deps.links.listLinks(query, deps.now());
      page.links.forEach(inspect);
      return page;
    },

    /**
     * The link to redirect to, or null when the code is unknown or the link is not active. The
     * state is judged on every call, cached row or not, so a link stops at its expiry date.
     */
    findActiveRedirect(
      code: string,
      domainKey: number = DEFAULT_DOMAIN_KEY,
    ): Awaitable<RedirectTarget | null> {
      const key = linkKey(domainKey, code);
      const cached = deps.redirectCache.get(key);
      if (cached !== undefined) return activeOrNull(cached);
      const found = deps.links.findRedirect(code, domainKey);
      // SQLite answers at once: no promise, no microtask on the redirect path.
      if (!(found instanceof Promise)) return remember(key, found);
      const changesBefore = deps.redirectCache.changes();
      return found.then((link) =>
        // A change heard while the query ran may be newer than its row: serve it, do not keep it.
        deps.redirectCache.changes() === changesBefore ? remember(key, link) : activeOrNull(link),
      );
    },

    /** The link a management token unlocks; null for a malformed, unknown or deleted link's token. */
    async findLinkByToken(token: string): Promise<Link | null> {
      if (!MANAGE_TOKEN_PATTERN.test(token)) return null;
      const link = await deps.links.findLinkByTokenHash(hashManageToken(token));
      if (!link || !tokenMatches(token, link.manageTokenHash)) return null;
      return link.deletedAt === null ? inspect(link) : null;
    },

    /** Visits written to the database plus those still counted in memory. */
    totalVisits(link: Pick<Link, 'id' | 'visits'>): number {
      return link.visits + deps.pendingVisits(link.id);
    },

    /** The visits written of every link not deleted (those of the last second may be in memory still). */
    async totalVisitsOfAllLinks(): Promise<number> {
      return deps.links.sumVisits();
    },

    /** How many links are active, expired, disabled and deleted now. */
    async countByState(): Promise<Record<LinkStateName, number>> {
      return deps.links.countByState(deps.now());
    },

    stateOf(link: RedirectTarget): LinkState {
      return linkState(link, deps.now(), deps.pendingVisits(link.id));
    },

    async update(
      link: Link,
      input: { url: string; options: LinkOptions; utm?: Utm; tags?: readonly string[] },
      context: UrlContext,
    ): Promise<UpdateResult> {
      const url = await checkUrl(input.url, context, 'change', input.utm);
      const errors: FieldErrors = checkLinkLimits(input.options);
      const ruled = await checkRuleTargets(input.options, context, 'change');
      if (!ruled.ok) errors.rules ??= ruled.message;
      const options = ruled.ok ? ruled.options : input.options;
      const tags = input.tags === undefined ? null : checkTags(input.tags);
      if (!url.ok) errors.url = url.message;
      if (tags !== null && !tags.ok) errors.tags = tags.message;
      if (!url.ok || Object.keys(errors).length > 0) return { ok: false, status: 422, errors };
      await deps.write(() =>
        deps.links.updateSettings(link.id, { target: url.url, ...options }, deps.now()),
      );
      if (tags?.ok) await deps.write(() => deps.tags.setTags(link.id, tags.tags, deps.now()));
      deps.redirectCache.invalidate(cacheKeyOf(link));
      return { ok: true };
    },

    /**
     * Sets or changes (a string) or removes (null) a link's password. A new password has a new
     * salt, so every unlock cookie issued before no longer unlocks the link.
     */
    async setPassword(
      link: Pick<Link, 'id' | 'code' | 'domainId'>,
      password: string | null,
    ): Promise<{ ok: true } | { ok: false; status: 422; errors: FieldErrors }> {
      const problem = password === null ? null : passwordProblem(password);
      if (problem !== null) return { ok: false, status: 422, errors: { password: problem } };
      const passwordHash = password === null ? null : await hashPassword(password);
      await deps.write(() => deps.links.setPasswordHash(link.id, passwordHash, deps.now()));
      deps.redirectCache.invalidate(cacheKeyOf(link));
      return { ok: true };
    },

    /** Whether `password` is the password of this protected link (false for one without). */
    async passwordMatches(link: Pick<Link, 'passwordHash'>, password: string): Promise<boolean> {
      return link.passwordHash !== null && verifyPassword(password, link.passwordHash);
    },

    /** The key unlock cookies are signed with, the same on every machine of one database. */
    unlockKey(): Promise<Buffer> {
      unlockKey ??= Promise.resolve(
        deps.write(() => deps.links.keepSecret('unlock-cookie', newSigningKey())),
      ).then(
        (value) => Buffer.from(value, 'base64url'),
        (error: unknown) => {
          unlockKey = null;
          throw error;
        },
      );
      return unlockKey;
    },

    async setDisabled(link: Link, disabled: boolean): Promise<void> {
      await deps.write(() => deps.links.setDisabled(link.id, disabled, deps.now()));
      deps.redirectCache.invalidate(cacheKeyOf(link));
    },

    /** Removes a link for abuse: 410 for visitors, whatever its owner does; its code stays taken. */
    async ban(link: Link, reason: string): Promise<void> {
      await deps.write(() => deps.links.setBanned(link.id, { reason }, deps.now()));
      deps.redirectCache.invalidate(cacheKeyOf(link));
    },

    async unban(link: Link): Promise<void> {
      await deps.write(() => deps.links.setBanned(link.id, null, deps.now()));
      deps.redirectCache.invalidate(cacheKeyOf(link));
    },

    /**
     * Disables every active link to `host` or one of its subdomains; answers their codes. The
     * links are read and disabled a batch at a time, each batch one transaction, and other
     * requests are served between batches. A run that stops midway leaves the batches before
     * it disabled and the rest active: running it again finishes the job.
     */
    async disableLinksToHost(host: string): Promise<string[]> {
      const now = deps.now();
      const disabled: string[] = [];
      const pageAfter = (after: number) =>
        deps.links.activeLinksMentioning(host, now, { after, limit: WRITE_BATCH_SIZE });
      let page = await pageAfter(0);
      while (page.length > 0) {
        const matches = page.filter((link) => isHostOrSubdomain(hostOf(link.target), host));
        if (matches.length > 0) {
          await deps.write(() =>
            deps.links.setDisabledMany(
              matches.map((link) => link.id),
              true,
              now,
            ),
          );
          for (const link of matches) deps.redirectCache.invalidate(cacheKeyOf(link));
          disabled.push(...matches.map((link) => link.code));
        }
        await yieldToEventLoop();
        page = await pageAfter(page.at(-1)!.id);
      }
      return disabled;
    },

    /**
     * Disables or enables these links in batched transactions, yielding between batches; a
     * list no longer than a batch is changed all at once or not at all.
     */
    async setDisabledMany(links: readonly Link[], disabled: boolean): Promise<void> {
      const now = deps.now();
      await writeInBatches(links, async (batch) => {
        await deps.write(() =>
          deps.links.setDisabledMany(
            batch.map((link) => link.id),
            disabled,
            now,
          ),
        );
        for (const link of batch) deps.redirectCache.invalidate(cacheKeyOf(link));
      });
    },

    /** Deletes these links as setDisabledMany changes them: batch by batch, each all or nothing. */
    async deleteMany(links: readonly Link[]): Promise<void> {
      const now = deps.now();
      await writeInBatches(links, async (batch) => {
        await deps.write(() =>
          deps.links.deleteLinks(
            batch.map((link) => link.id),
            now,
          ),
        );
        for (const link of batch) deps.redirectCache.invalidate(cacheKeyOf(link));
      });
    },

    /** The tags of these links, by link id, each in its owner's order (none: an empty list). */
    tagsOf,

    /** These links, each with its tags. */
    async withTags(links: readonly Link[]): Promise<TaggedLink[]> {
      const tags = await tagsOf(links);
      return links.map((link) => ({ ...link, tags: tags.get(link.id) ?? [] }));
    },

    /** Every tag some link carries, by name, with its links and their written visits. */
    async listTags(): Promise<TagSummary[]> {
      // By key in code point order, the same on both engines whatever their collation.
      const byKey = (tag: TagSummary) => tagKey(tag.name);
      return [...(await deps.tags.listTags())].sort((a, b) =>
        byKey(a) < byKey(b) ? -1 : byKey(a) > byKey(b) ? 1 : 0,
      );
    },

    /**
     * Adds one tag to each of these links (deleted ones are left alone) that has not got it:
     * refused, changing nothing, when the tag is not one or a link would carry more than MAX_TAGS.
     */
    async addTag(links: readonly Link[], name: string): Promise<TagChangeResult> {
      const checked = checkTags([name]);
      if (!checked.ok) return checked;
      const [tag] = checked.tags;
      if (tag === undefined) return { ok: false, message: 'Enter the tag to add.' };
      const live = links.filter((link) => link.deletedAt === null);
      const current = await tagsOf(live);
      const key = tagKey(tag);
      const full = live.find((link) => {
        const tags = current.get(link.id) ?? [];
        return tags.length >= MAX_TAGS && !tags.some((t) => tagKey(t) === key);
      });
      if (full) {
        return {
          ok: false,
          message: `“${full.code}” already has ${MAX_TAGS} tags, the most a link can have.`,
        };
      }
      if (live.length > 0) {
        await deps.write(() =>
          deps.tags.addTag(
            live.map((link) => link.id),
            tag,
            deps.now(),
          ),
        );
      }
      return { ok: true };
    },

    /** Takes one tag (any case) off each of these links that has it. */
    async removeTag(links: readonly Link[], name: string): Promise<TagChangeResult> {
      const checked = checkTags([name]);
      if (!checked.ok) return checked;
      const [tag] = checked.tags;
      if (tag === undefined) return { ok: false, message: 'Enter the tag to remove.' };
      if (links.length > 0) {
        await deps.write(() =>
          deps.tags.removeTag(
            links.map((link) => link.id),
            tagKey(tag),
          ),
        );
      }
      return { ok: true };
    },

    /**
     * Renames a tag on every link carrying it (any case of the old name finds it): refused when
     * the new name is not a tag, when no link carries the old one, or when another tag some link
     * carries has the new name already.
     */
    async renameTag(
      oldName: string,
      newName: string,
    ): Promise<
      { ok: true } | { ok: false; reason: 'invalid' | 'unknown' | 'taken'; message: Said }
    > {
      const checked = checkTags([newName]);
      const [name] = checked.ok ? checked.tags : [];
      if (!checked.ok || name === undefined) {
        return {
          ok: false,
          reason: 'invalid',
          message: checked.ok ? 'Enter the new name of the tag.' : checked.message,
        };
      }
      const done = await deps.write(() => deps.tags.renameTag(tagKey(oldName.trim()), name));
      if (done === 'renamed') return { ok: true };
      return {
        ok: false,
        reason: done,
        message:
          done === 'unknown'
            ? `No link carries the tag “${oldName}”.`
            : `The tag “${name}” exists already.`,
      };
    },

    /** Takes these tags (any case) off every link and forgets them. */
    async deleteTags(names: readonly string[]): Promise<void> {
      const keys = [...new Set(names.map((name) => tagKey(name.trim())))];
      if (keys.length > 0) await deps.write(() => deps.tags.deleteTags(keys));
    },

    async delete(link: Link): Promise<void> {
      await deps.write(() => deps.links.deleteLink(link.id, deps.now()));
      deps.redirectCache.invalidate(cacheKeyOf(link));
    },
  };
}
