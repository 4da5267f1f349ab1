import { z } from 'zod';
import type { RedirectRule, RuleCondition } from '../links/redirect-rules.js';

/**
 * Shlink's redirect rules (`/rest/v3/short-urls/{shortCode}/redirect-rules`) as snip's: the
 * shape of Shlink's ShortUrlRedirectRule and RedirectCondition, and the mapping of condition
 * types. snip's rules are checked by snip's own rules (redirect-rules.ts) after the mapping.
 *
 * | Shlink                       | snip                                  |
 * | ---------------------------- | ------------------------------------- |
 * | device                       | device                                |
 * | language                     | language                              |
 * | query-param (key, value)     | query with `value`                    |
 * | any-value-query-param (key)  | query without `value`                 |
 * | valueless-query-param (key)  | query with `value: ''`                |
 * | before-date / after-date     | before / after                        |
 * | geolocation-country-code     | country                               |
 *
 * Shlink's `ip-address`, `geolocation-city-name` and `browser` have no counterpart in snip (it
 * keeps no visitor's address and looks up no city): they are refused.
 */

const ShlinkConditionSchema = z.object({
  type: z.string(),
  matchKey: z.string().nullish(),
  matchValue: z.string().nullish(),
});

export const ShlinkRulesBodySchema = z.object({
  redirectRules: z
    .array(
      z.object({
        longUrl: z.string(),
        conditions: z.array(ShlinkConditionSchema),
      }),
    )
    .default([]),
});

type ShlinkCondition = z.infer<typeof ShlinkConditionSchema>;

export type RulesFromShlink = { ok: true; rules: unknown[] } | { ok: false; type: string };

/**
 * Shlink's rules as snip's, in Shlink's order (its priority is the position); a condition type
 * snip does not have is named in the refusal. The result still goes through snip's checks.
 */
export function rulesFromShlink(body: z.infer<typeof ShlinkRulesBodySchema>): RulesFromShlink {
  const rules: unknown[] = [];
  for (const rule of body.redirectRules) {
    const conditions: unknown[] = [];
    for (const condition of rule.conditions) {
      const mapped = conditionFromShlink(condition);
      if (mapped === null) return { ok: false, type: condition.type };
      conditions.push(mapped);
    }
    rules.push({ url: rule.longUrl, conditions });
  }
  return { ok: true, rules };
}

function conditionFromShlink(condition: ShlinkCondition): unknown {
  const value = condition.matchValue ?? undefined;
  // Shlink's importer keeps a valueless or any-value parameter's name in matchValue.
  const name = condition.matchKey ?? condition.matchValue ?? '';
  switch (condition.type) {
    case 'device':
    case 'language':
      return { type: condition.type, value: value ?? '' };
    case 'query-param':
      return { type: 'query', name: condition.matchKey ?? '', value: value ?? '' };
    case 'any-value-query-param':
      return { type: 'query', name };
    case 'valueless-query-param':
      return { type: 'query', name, value: '' };
    case 'before-date':
      return { type: 'before', value: value ?? '' };
    case 'after-date':
      return { type: 'after', value: value ?? '' };
    case 'geolocation-country-code':
      return { type: 'country', value: value ?? '' };
    default:
      return null;
  }
}

/** snip's rules in Shlink's shape, each with its priority (1 first). */
export function rulesToShlink(rules: readonly RedirectRule[]) {
  return rules.map((rule, index) => ({
    longUrl: rule.url,
    priority: index + 1,
    conditions: rule.conditions.map(conditionToShlink),
  }));
}

function conditionToShlink(condition: RuleCondition) {
  switch (condition.type) {
    case 'device':
    case 'language':
      return { type: condition.type, matchKey: null, matchValue: condition.value };
    case 'country':
      return { type: 'geolocation-country-code', matchKey: null, matchValue: condition.value };
    case 'query':
      if (condition.value === undefined) {
        return { type: 'any-value-query-param', matchKey: condition.name, matchValue: null };
      }
      if (condition.value === '') {
        return { type: 'valueless-query-param', matchKey: condition.name, matchValue: null };
      }
      return { type: 'query-param', matchKey: condition.name, matchValue: condition.value };
    case 'before':
    case 'after':
      return {
        type: `${condition.type}-date`,
        matchKey: null,
        // Shlink writes dates as ATOM: seconds and the zone as +00:00.
        matchValue: condition.value.replace(/\.\d{3}Z$/, '+00:00'),
      };
  }
}
