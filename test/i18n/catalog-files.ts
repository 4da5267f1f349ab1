import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';

/** The catalogs as files, for the tests that read them whole. */
export const LOCALES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'locales',
);

export function readCatalog(tag: string): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(LOCALES, `${tag}.json`), 'utf8')) as Record<
    string,
    string
  >;
}

/** A parsed message's element, as formatjs's parser gives it (0 literal, 1 argument … 8 tag). */
export type MessageElement = {
  type: number;
  value?: string;
  options?: Record<string, { value: MessageElement[] }>;
  children?: MessageElement[];
};

/** Every element of a message, depth first: inside plural and select options and inside tags. */
export function elementsOf(message: string, locale: string): MessageElement[] {
  const all: MessageElement[] = [];
  const walk = (elements: MessageElement[]) => {
    for (const element of elements) {
      all.push(element);
      for (const option of Object.values(element.options ?? {})) walk(option.value);
      if (element.children) walk(element.children);
    }
  };
  walk(new IntlMessageFormat(message, locale).getAst() as MessageElement[]);
  return all;
}
