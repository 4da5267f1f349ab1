import type { Said } from './link-text.js';
import { parseLinkOptions, type LinkOptions } from './link-options.js';
import { readTagsField } from './tags.js';
import { parseUtmFields, type Utm } from './utm.js';

export type LinkFormResult =
  | { ok: true; options: LinkOptions; utm: Utm; tags: string[] }
  | { ok: false; errors: Record<string, Said> };

/**
 * What every form that sets a link (the home page, the management page, the admin's new link
 * and its edit form) sends beside the URL: the options, the UTM fields and the tags, each with
 * its message when refused.
 */
export function parseLinkForm(body: unknown, now: number): LinkFormResult {
  const options = parseLinkOptions(body, now);
  const utm = parseUtmFields(body);
  const tags = readTagsField(body);
  if (options.ok && utm.ok && tags.ok) {
    return { ok: true, options: options.options, utm: utm.utm, tags: tags.tags };
  }
  return {
    ok: false,
    errors: {
      ...(options.ok ? {} : options.errors),
      ...(utm.ok ? {} : utm.errors),
      ...(tags.ok ? {} : { tags: tags.message }),
    },
  };
}
