import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readProjectFile } from './deploy-files.js';

/**
 * The README and the pages under docs/ link to each other, to ADRs, to screenshots and to
 * sections by their anchors. Pages move and headings get renamed; a link that resolves to nothing
 * only shows when a reader clicks it, so every relative link is followed here.
 */

function markdownFilesUnder(dir: string): string[] {
  const absolute = path.join(ROOT, dir);
  if (!fs.existsSync(absolute)) return [];
  return fs.readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownFilesUnder(relative);
    return entry.name.endsWith('.md') ? [relative] : [];
  });
}

const DOCUMENTS = ['README.md', ...markdownFilesUnder('docs'), ...markdownFilesUnder('bench')];

/** Fenced blocks hold examples, not headings or links. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');
}

/** Inline code holds examples too: `[text](target)` in backticks is not a link. */
function proseOf(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, 'code');
}

/** Inline links and images: `[text](target)`, `![alt](target "title")`. */
function linkTargetsOf(markdown: string): string[] {
  const link = /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
  return [...proseOf(markdown).matchAll(link)].map((match) => match[1]!);
}

/** The anchors GitHub gives a page's headings, duplicates numbered as GitHub numbers them. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of withoutFences(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = heading!
      .replace(/<[^>]+>/g, '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

function brokenLinksOf(file: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargetsOf(readProjectFile(file))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: — not ours to check
    const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
    const linkedPath = decodeURIComponent(rawPath);
    const resolved = linkedPath === '' ? file : path.join(path.dirname(file), linkedPath);
    const absolute = path.join(ROOT, resolved);
    if (path.relative(ROOT, absolute).startsWith('..') || !fs.existsSync(absolute)) {
      broken.push(`${target} (no ${resolved})`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!resolved.endsWith('.md')) {
      broken.push(`${target} (an anchor into a file that is not Markdown)`);
      continue;
    }
    if (!anchorsOf(readProjectFile(resolved)).has(decodeURIComponent(anchor).toLowerCase())) {
      broken.push(`${target} (no heading #${anchor} in ${resolved})`);
    }
  }
  return broken;
}

describe('the README and docs/', () => {
  it('finds the documents it checks', () => {
    expect(DOCUMENTS).toContain('README.md');
    expect(DOCUMENTS).toContain(path.join('docs', 'decisions', 'README.md'));
  });

  it.each(DOCUMENTS)('%s: every relative link and anchor resolves', (file) => {
    expect(brokenLinksOf(file)).toEqual([]);
  });

  it('reads headings and links the way GitHub does', () => {
    const page = [
      '# Run with Docker',
      '## Running on several machines',
      '### PostgreSQL',
      '## PostgreSQL',
      '## `/api/v1` and the compatible APIs',
      '```sh',
      '# not a heading',
      '```',
      'See [below](#postgresql-1), ![a picture](docs/x.png "title") and `[not](a-link)`.',
    ].join('\n');
    expect([...anchorsOf(page)]).toEqual([
      'run-with-docker',
      'running-on-several-machines',
      'postgresql',
      'postgresql-1',
      'apiv1-and-the-compatible-apis',
    ]);
    expect(linkTargetsOf(page)).toEqual(['#postgresql-1', 'docs/x.png']);
  });
});

describe('README.md', () => {
  const readme = readProjectFile('README.md');

  it('stays short: what snip is, how to run and test it, configuration and deploy', () => {
    expect(readme.split('\n').length).toBeLessThan(400);
  });

  it('gives a newcomer two commands first: one to run snip, one to test it', () => {
    const shellBlocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]!.trim());
    expect(shellBlocks.slice(0, 2)).toEqual(['npm install && npm start', 'npm test']);
  });
});
