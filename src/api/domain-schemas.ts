import { z } from 'zod';

/** The requests and answers of `/api/v1/domains` (ADR 028); the OpenAPI document reads them. */

const RedirectSchema = z
  .string()
  .max(8192, { error: 'must be at most 8192 characters' })
  .nullable()
  .optional();

/** `POST /api/v1/domains`: only `host` is needed. */
export const CreateDomainSchema = z
  .strictObject({
    host: z.string().max(300, { error: 'must be at most 300 characters' }).meta({
      description:
        'The host name, e.g. go.example. Stored in its canonical form: lower case, without a trailing dot or a port, a Unicode name as punycode. An IP address, a URL or a name with an underscore or an empty label is refused (422).',
    }),
    rootRedirect: RedirectSchema.meta({
      description: 'Where `/` on this domain sends a visitor; snip’s home page without it.',
    }),
    notFoundRedirect: RedirectSchema.meta({
      description:
        'Where an unknown code on this domain sends a visitor; snip’s 404 page without it.',
    }),
    expiredRedirect: RedirectSchema.meta({
      description:
        'Where an expired, disabled, banned or deleted link on this domain sends a visitor; snip’s page for it without it.',
    }),
    aliasOf: z.string().max(300).nullable().optional().meta({
      description:
        'The host of the domain whose links this one answers too: the default domain or another added domain that is no alias itself. Redirects not set here fall back to that domain’s.',
    }),
  })
  .meta({ id: 'CreateDomain' });

/** `PATCH /api/v1/domains/{host}`: the redirects to change; one left out stays, null clears it. */
export const EditDomainSchema = CreateDomainSchema.pick({
  rootRedirect: true,
  notFoundRedirect: true,
  expiredRedirect: true,
}).meta({ id: 'EditDomain' });

export const DomainSchema = z
  .object({
    host: z.string(),
    isDefault: z
      .boolean()
      .meta({ description: 'BASE_URL’s host; listed first, and only with BASE_URL.' }),
    rootRedirect: z.string().nullable(),
    notFoundRedirect: z.string().nullable(),
    expiredRedirect: z.string().nullable(),
    aliasOf: z.string().nullable(),
  })
  .meta({ id: 'Domain' });

export const DomainListSchema = z
  .object({ data: z.array(DomainSchema) })
  .meta({ id: 'DomainList' });
