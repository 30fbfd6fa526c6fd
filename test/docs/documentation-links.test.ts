/**
 * The README guides, docs/ holds the reference: they link to each other's pages and sections. Every relative link
 * must land on a file that exists and, when it names a section, on a heading of that page, so that moving text
 * between pages cannot silently break a link.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { documentationFiles, documentText } from '../harness/readme-samples';

const projectRoot = resolve(__dirname, '../..');

/** The text outside fenced code blocks, one entry per line (a fence's lines become empty). */
function proseLines(markdown: string): string[] {
  let inFence = false;
  return markdown.split('\n').map((line) => {
    if (line.startsWith('```')) {
      inFence = !inFence;
      return '';
    }
    return inFence ? '' : line;
  });
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as dashes, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6} (.+)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/\*\*/g, '');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The targets of a page's inline links that stay in this repository (no scheme), with the line each is on. */
function relativeLinks(markdown: string): { target: string; line: number }[] {
  return proseLines(markdown).flatMap((line, index) =>
    [...line.replace(/`[^`]*`/g, '``').matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1]!)
      .filter((target) => !/^[a-z][\w+.-]*:/i.test(target))
      .map((target) => ({ target, line: index + 1 })),
  );
}

/** Why a link from `document` to `target` leads nowhere, or undefined when it lands. */
function brokenBecause(document: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#');
  const file = path === '' ? document : normalize(join(dirname(document), decodeURIComponent(path)));
  if (!existsSync(join(projectRoot, file))) return `no file ${file}`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) return `an anchor into ${file}, which has no headings`;
  return headingAnchors(documentText(file)).has(anchor) ? undefined : `no heading #${anchor} in ${file}`;
}

describe('the documentation links', () => {
  for (const document of documentationFiles()) {
    it(`every relative link in ${document} leads to an existing file and section`, () => {
      const links = relativeLinks(documentText(document));
      const broken = links.flatMap(({ target, line }) => {
        const because = brokenBecause(document, target);
        return because === undefined ? [] : [`${document}:${line} (${target}): ${because}`];
      });
      assert.deepEqual(broken, []);
      if (document === 'README.md')
        assert.ok(links.length > 20, `the README links to its guide pages (${links.length})`);
    });
  }

  it('the README reaches every docs page in one click, and every page links back to the README', () => {
    const fromReadme = new Set(relativeLinks(documentText('README.md')).map(({ target }) => target.split('#')[0]));
    for (const page of documentationFiles().filter((document) => document !== 'README.md')) {
      assert.ok(fromReadme.has(page), `README.md links to ${page}`);
      const back = relativeLinks(documentText(page)).some(({ target }) => target.split('#')[0] === '../README.md');
      assert.ok(back, `${page} links back to the README`);
    }
  });

  it('reads anchors as GitHub makes them', () => {
    const anchors = headingAnchors(
      '# The CLI, verb by verb\n## `status <sandbox/name> [--refresh] [--json]`\n```\n# not a heading\n```\n## Exit codes\n## Exit codes\n',
    );
    assert.deepEqual(
      [...anchors],
      ['the-cli-verb-by-verb', 'status-sandboxname---refresh---json', 'exit-codes', 'exit-codes-1'],
    );
  });
});
