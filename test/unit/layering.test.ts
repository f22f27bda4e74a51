import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

// Imports run one way: surfaces → services → repositories → db; platform knows no module; the outbox
// worker sits beside the surfaces; only the composition (app, compose, runtime, main, cli) sees
// everything. src/services.ts (createServices, the Services type) belongs to the services layer. This test reads every import in src/ (type-only and dynamic ones included) and
// names each one that runs upward, so the layering stays true as features are added.

const ROOT = join(dirname(new URL(import.meta.url).pathname), '../..');

type Graph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** file (src/…, posix) → what it imports: other src files by path, packages by name. */
function importGraph(): Graph {
  const graph: Graph = new Map();
  for (const abs of sourceFiles(join(ROOT, 'src'))) {
    const file = relative(ROOT, abs).split('\\').join('/');
    const { importedFiles } = ts.preProcessFile(readFileSync(abs, 'utf8'), true, true);
    graph.set(
      file,
      importedFiles.map(({ fileName: spec }) =>
        spec.startsWith('.') ? posix.join(posix.dirname(file), spec).replace(/\.js$/, '.ts') : spec,
      ),
    );
  }
  return graph;
}

const COMPOSITION = ['src/app.ts', 'src/compose.ts', 'src/runtime.ts', 'src/main.ts', 'src/cli/'];
const under =
  (...prefixes: string[]) =>
  (path: string) =>
    prefixes.some((p) => path === p || (p.endsWith('/') && path.startsWith(p)));
const isPackage =
  (...names: string[]) =>
  (spec: string) =>
    names.some((n) => spec === n || spec.startsWith(`${n}/`));

interface Rule {
  name: string;
  from: (file: string) => boolean;
  forbidden: (target: string) => boolean;
}

const RULES: Rule[] = [
  {
    name: 'platform/ knows no module, surface, worker, HTTP helper or composition',
    from: under('src/platform/'),
    forbidden: under('src/modules/', 'src/surfaces/', 'src/outbox/', 'src/http/', ...COMPOSITION),
  },
  {
    name: 'db/ knows no module, surface, worker, HTTP helper or composition',
    from: under('src/db/'),
    forbidden: under('src/modules/', 'src/surfaces/', 'src/outbox/', 'src/http/', ...COMPOSITION),
  },
  {
    name: 'modules/ and services.ts import no surface, HTTP, Fastify, worker or composition',
    from: under('src/modules/', 'src/services.ts'),
    forbidden: (t) =>
      under('src/surfaces/', 'src/http/', 'src/outbox/', ...COMPOSITION)(t) ||
      isPackage('fastify', '@fastify')(t),
  },
  {
    name: 'repositories import no service',
    from: (f) => f.endsWith('.repository.ts'),
    forbidden: (t) => t.endsWith('.service.ts'),
  },
  {
    name: 'surfaces reach services only: no repository, db/, Kysely, worker or composition',
    from: under('src/surfaces/'),
    forbidden: (t) =>
      t.endsWith('.repository.ts') ||
      under('src/db/', 'src/outbox/', ...COMPOSITION)(t) ||
      isPackage('kysely')(t),
  },
  {
    name: 'http/ helpers import no surface, worker or composition',
    from: under('src/http/'),
    forbidden: under('src/surfaces/', 'src/outbox/', ...COMPOSITION),
  },
  {
    name: 'the outbox worker imports no surface, HTTP or composition (the composition starts it)',
    from: under('src/outbox/'),
    forbidden: (t) =>
      under('src/surfaces/', 'src/http/', ...COMPOSITION)(t) || isPackage('fastify', '@fastify')(t),
  },
];

function ruleViolations(graph: Graph): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of RULES) {
      if (!rule.from(file)) continue;
      for (const t of targets) if (rule.forbidden(t)) found.push(`${rule.name}: ${file} imports ${t}`);
    }
  }
  return found;
}

/** src/modules/<name> and src/outbox, each one unit. */
function unitOf(path: string): string | undefined {
  const m = /^src\/modules\/([^/]+)\//.exec(path);
  if (m) return `src/modules/${m[1]}`;
  return path.startsWith('src/outbox/') ? 'src/outbox' : undefined;
}

/** Every cycle between units (modules and the outbox), each reported once as `a → b → … → a`. */
function unitCycles(graph: Graph): string[] {
  const edges = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = unitOf(file);
    if (!from) continue;
    for (const t of targets) {
      const to = unitOf(t);
      if (to && to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  const cycles = new Set<string>();
  const walk = (path: string[]) => {
    const last = path[path.length - 1] as string;
    for (const next of edges.get(last) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) {
        const loop = path.slice(at);
        // one spelling per cycle: rotated to start at its smallest unit
        const start = loop.indexOf([...loop].sort()[0] as string);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.add([...rotated, rotated[0]].join(' → '));
      } else walk([...path, next]);
    }
  };
  for (const unit of edges.keys()) walk([unit]);
  return [...cycles];
}

describe('layering of src/', () => {
  const graph = importGraph();

  it('reads the imports it checks (a broken reader would find nothing to forbid)', () => {
    assert.ok(graph.size > 50, `only ${graph.size} files read`);
    assert.ok(graph.get('src/app.ts')?.includes('src/services.ts'), 'app.ts → services.ts not seen');
    assert.ok(graph.get('src/app.ts')?.includes('fastify'), 'a package import not seen');
  });

  it('has no import that runs upward', () => {
    assert.deepEqual(ruleViolations(graph), []);
  });

  it('has no import cycle between src/modules/* and src/outbox', () => {
    assert.deepEqual(unitCycles(graph), []);
  });

  it('names a planted violation of each rule, and a planted cycle', () => {
    const planted: Graph = new Map([
      ['src/platform/x.ts', ['src/modules/users/principal.ts']],
      ['src/db/x.ts', ['src/outbox/dispatcher.ts']],
      ['src/modules/a/a.service.ts', ['fastify', 'src/surfaces/context.ts']],
      ['src/modules/a/a.repository.ts', ['src/modules/a/a.service.ts']],
      ['src/surfaces/x/routes.ts', ['src/modules/a/a.repository.ts', 'kysely']],
      ['src/http/x.ts', ['src/app.ts']],
      ['src/outbox/x.ts', ['src/surfaces/system/mailbox.ts', 'src/modules/b/b.repository.ts']],
      ['src/modules/b/b.repository.ts', ['src/outbox/render.ts']],
    ]);
    const found = ruleViolations(planted);
    for (const rule of RULES) {
      assert.ok(
        found.some((v) => v.startsWith(`${rule.name}:`)),
        `rule not triggered: ${rule.name}`,
      );
    }
    assert.equal(found.length, 10, found.join('\n'));
    assert.deepEqual(unitCycles(planted), ['src/modules/b → src/outbox → src/modules/b']);
  });
});
