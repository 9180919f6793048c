/**
 * Checks the layout of src/ and machines/ that docs/architecture.md describes, and fails (exit 1) on:
 * - an import circle among their files (type-only imports included: a circle of types is still a knot);
 * - an import that points up the layers (machines → errors/logging → runtime → options/children/temporal →
 *   supervisor → the rest);
 * - a value import of the Temporal SDK or grpc-js in machines/ or src/runtime/ (they stay SDK-free: types only);
 * - a file over 500 lines, or the public `Supervisor` facade over 350.
 *
 * Run: `npx tsx scripts/check-architecture.ts` (part of `npm test`). The TypeScript compiler parses the imports;
 * no dependency-graph package is needed for this (madge and dependency-cruiser would each add dozens of
 * packages for what is forty lines here).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const MAX_LINES = 500;
const MAX_FACADE_LINES = 350;
const FACADE = 'src/supervisor/supervisor.ts';

/** The layer of a file: lower layers never import higher ones. */
export function layerOf(file: string): number {
  if (file.startsWith('machines/')) return 0;
  if (file === 'src/errors.ts' || file.startsWith('src/logging/')) return 1;
  if (file.startsWith('src/runtime/')) return 2;
  if (/^src\/(options|children|temporal)\//.test(file)) return 3;
  if (file.startsWith('src/supervisor/')) return 4;
  return 5;
}
const LAYER_NAMES = [
  'machines',
  'errors/logging',
  'runtime',
  'options/children/temporal',
  'supervisor',
  'outer',
];

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return filesUnder(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

interface Import {
  readonly target: string;
  readonly typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest);
  const found: Import[] = [];
  for (const statement of source.statements) {
    if (
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier &&
      ts.isStringLiteral(statement.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(statement)
        ? (statement.importClause?.isTypeOnly ?? false) ||
          (statement.importClause?.namedBindings !== undefined &&
            ts.isNamedImports(statement.importClause.namedBindings) &&
            statement.importClause.name === undefined &&
            statement.importClause.namedBindings.elements.length > 0 &&
            statement.importClause.namedBindings.elements.every((element) => element.isTypeOnly))
        : statement.isTypeOnly;
      found.push({ target: statement.moduleSpecifier.text, typeOnly });
    }
  }
  return found;
}

function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return relative(root, resolve(root, dirname(from), specifier)).replace(/\.js$/, '.ts');
}

export function check(): string[] {
  const files = [...filesUnder('machines'), ...filesUnder('src')];
  const problems: string[] = [];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n').length - 1;
    const limit = file === FACADE ? MAX_FACADE_LINES : MAX_LINES;
    if (lines > limit) problems.push(`${file}: ${lines} lines (at most ${limit})`);
    const edges: string[] = [];
    for (const { target, typeOnly } of importsOf(file)) {
      const local = resolveLocal(file, target);
      if (local === undefined) {
        const sdk = /^@temporalio\/|^@grpc\//.test(target);
        if (sdk && !typeOnly && layerOf(file) <= 2) {
          problems.push(
            `${file}: value import of ${target} (machines/ and src/runtime/ stay SDK-free: types only)`,
          );
        }
        continue;
      }
      edges.push(local);
      if (layerOf(local) > layerOf(file)) {
        problems.push(
          `${file} (${LAYER_NAMES[layerOf(file)]}) imports ${local} (${LAYER_NAMES[layerOf(local)]}): dependencies point down only`,
        );
      }
    }
    graph.set(file, edges);
  }
  problems.push(...cycles(graph).map((cycle) => `import circle: ${cycle.join(' → ')}`));
  return problems;
}

/** Every elementary circle found by a depth-first search (each reported once, from its smallest file). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
        found.set(canonical.join(' '), [...canonical, canonical[0]!]);
      } else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return [...found.values()];
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const problems = check();
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(`check-architecture: ${problems.length} problem(s); see docs/architecture.md`);
    process.exit(1);
  }
  console.log('check-architecture: no import circle, dependencies point down, files within their size');
}
