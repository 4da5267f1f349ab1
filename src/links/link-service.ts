import { checkAlias, RESERVED_WORDS } from './alias-policy.js';
import type { CodeGenerator } from './code-generator.js';
import type { Link, LinkRepository } from './link-repository.js';
import { checkTargetUrl } from './url-policy.js';

export type ShortenInput = { url: string; alias: string };

export type ShortenContext = {
  /** Host names that are snip itself (configured base URL and the request's host). */
  ownHosts: readonly string[];
  /** The form turns `example.com` into `https://example.com/`; the API does not. */
  addMissingScheme: boolean;
};

export type FieldErrors = Partial<Record<'url' | 'alias', string>>;

export type ShortenResult =
  { ok: true; link: Link } | { ok: false; status: 409 | 422; errors: FieldErrors };

export type LinkServiceDeps = {
  links: LinkRepository;
  generateCode: CodeGenerator;
  now: () => number;
  maxUrlLength: number;
};

/** A generated code collides with probability ~n/47^7; a few tries make a failure astronomically rare. */
const MAX_CODE_ATTEMPTS = 8;

const reserved = new Set(RESERVED_WORDS);

export type LinkService = ReturnType<typeof createLinkService>;

export function createLinkService(deps: LinkServiceDeps) {
  function storeWithGeneratedCode(target: string): Link {
    for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
      const code = deps.generateCode();
      if (reserved.has(code.toLowerCase())) continue;
      const result = deps.links.insertLink(code, target, deps.now());
      if (result.ok) return result.link;
    }
    throw new Error(`no free code after ${MAX_CODE_ATTEMPTS} attempts; raise CODE_LENGTH`);
  }

  return {
    shorten(input: ShortenInput, context: ShortenContext): ShortenResult {
      const url = checkTargetUrl(input.url, {
        maxLength: deps.maxUrlLength,
        ownHosts: context.ownHosts,
        addMissingScheme: context.addMissingScheme,
      });
      const alias = checkAlias(input.alias);
      const errors: FieldErrors = {};
      if (!url.ok) errors.url = url.message;
      if (!alias.ok) errors.alias = alias.message;
      if (!url.ok || !alias.ok) return { ok: false, status: 422, errors };

      if (alias.alias === null) return { ok: true, link: storeWithGeneratedCode(url.url) };
      const result = deps.links.insertLink(alias.alias, url.url, deps.now());
      if (result.ok) return result;
      return {
        ok: false,
        status: 409,
        errors: { alias: `“${alias.alias}” is already taken. Choose another alias.` },
      };
    },

    findLink(code: string): Link | null {
      return deps.links.findLink(code);
    },

    findTarget(code: string): string | null {
      return deps.links.findTarget(code);
    },
  };
}
