import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * Every relative link of the README and of every page under docs/ leads
 * somewhere: the file (or folder) exists, and a `#anchor` into a Markdown
 * file names one of its headings. Pages added later are checked too.
 */
const ROOT = resolve(import.meta.dirname, '..');

/** README.md and every docs/**.md. */
function markdownFiles(): string[] {
  const files = [join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk(join(ROOT, 'docs'));
  return files;
}

/** The text outside fenced code blocks and inline code spans, where a link is a link. */
export function proseOf(markdown: string): string {
  let fenced = false;
  const lines: string[] = [];
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      lines.push('');
      continue;
    }
    lines.push(fenced ? '' : line.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length)));
  }
  return lines.join('\n');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, ... */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** `[text](target)` links and `[label]: target` definitions whose target is not a URL. */
export function relativeLinksOf(markdown: string): string[] {
  const prose = proseOf(markdown);
  const targets: string[] = [];
  for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
  for (const m of prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)) targets.push(m[1]!);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe('documentation links', () => {
  it('finds the README and the docs pages', () => {
    const files = markdownFiles().map((f) => relative(ROOT, f));
    expect(files).toContain('README.md');
    expect(files).toContain('docs/architecture.md');
  });

  it('reads links and anchors the way GitHub does', () => {
    expect(relativeLinksOf('see [a](docs/a.md#x), [b](https://x.io), `[c](nowhere.md)`\n```\n[d](nowhere.md)\n```\n[e]: ../f.md')).toEqual([
      'docs/a.md#x',
      '../f.md',
    ]);
    expect([...anchorsOf('# Tuning (environment)\n## `npm test`, twice\n## A b\n## A b\n```\n# not a heading\n```')]).toEqual([
      'tuning-environment',
      'npm-test-twice',
      'a-b',
      'a-b-1',
    ]);
  });

  for (const file of markdownFiles()) {
    it(`every relative link of ${relative(ROOT, file)} resolves`, () => {
      const text = readFileSync(file, 'utf8');
      const broken: string[] = [];
      for (const link of relativeLinksOf(text)) {
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path === '' ? file : resolve(dirname(file), decodeURI(path));
        if (!existsSync(target)) {
          broken.push(`${link}: no such file`);
          continue;
        }
        if (anchor && target.endsWith('.md') && statSync(target).isFile()) {
          const anchors = anchorsOf(readFileSync(target, 'utf8'));
          if (!anchors.has(decodeURIComponent(anchor).toLowerCase()))
            broken.push(`${link}: no heading #${anchor} in ${relative(ROOT, target)}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
