/** The README stays true: its "Embed in ten lines" is examples/embed.ts verbatim, and it links every doc. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const readme = read('README.md');

describe('README', () => {
  it('"Embed in ten lines" is examples/embed.ts (which the typecheck compiles), with ten lines of code', () => {
    const section = readme.slice(readme.indexOf('## Embed in ten lines'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    const file = read('examples/embed.ts');
    const code = file.slice(file.indexOf('import '));
    expect(block).toBe(code);
    const statements = code.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('import '));
    expect(statements).toHaveLength(10);
  });

  it("docs/operations.md's Kubernetes recipes are the example files verbatim", () => {
    const operations = read('docs/operations.md');
    for (const file of ['kubernetes-plain.ts', 'kubernetes-lightship.ts', 'kubernetes-terminus.ts']) {
      const start = operations.indexOf(`// examples/${file}\n`);
      expect(start, file).toBeGreaterThan(0);
      const block = operations.slice(
        start + `// examples/${file}\n`.length,
        operations.indexOf('```', start),
      );
      expect(block).toBe(read(`examples/${file}`));
    }
  });

  it('links every document in docs/', () => {
    const docs = readdirSync(new URL('../../docs', import.meta.url)).filter((name) => name.endsWith('.md'));
    expect(docs.length).toBeGreaterThan(5);
    for (const doc of docs) expect(readme, `README links docs/${doc}`).toContain(`](docs/${doc})`);
  });
});
