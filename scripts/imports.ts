/**
 * The shape of src/'s imports, counted: which files import one another in a loop, and which
 * imports run upward through the layers of ../shared/DESIGN.md ("Which way imports go").
 * Run with `bun scripts/imports.ts` (add --list to name every loop member and upward import).
 * It reads import and re-export lines as text; it never runs or changes the code.
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const SRC = join(ROOT, "src");

/**
 * The floors, lowest first. A file may import its own floor and those below it; anything
 * else is an upward import. DESIGN.md puts commands/ on top and lets it and server/ need
 * each other; issue 17 settles that pair: commands/ declares the narrow context its
 * handlers see and server/ (with replication/, scripting/ and cluster/, which hold clients
 * and links) implements it, so the arrow runs from server/ down to commands/ only.
 */
const FLOORS: Array<[floor: number, test: (path: string) => boolean]> = [
  [0, (p) => p.startsWith("resp/") || ["errors.ts", "clock.ts", "version.ts", "config.ts", "config-file.ts", "log.ts", "keyspace-events.ts"].includes(p)],
  [1, (p) => p.startsWith("store/")],
  [2, (p) => p.startsWith("persistence/")],
  [3, (p) => p.startsWith("commands/")],
  [4, (p) => ["server/", "replication/", "scripting/", "cluster/"].some((dir) => p.startsWith(dir))],
  [5, (p) => p === "main.ts"],
];

function floorOf(path: string): number {
  return FLOORS.find(([, test]) => test(path))?.[0] ?? -1;
}

interface Edge {
  to: string;
  typeOnly: boolean;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/gm;

function edgesOf(file: string): Edge[] {
  const text = readFileSync(join(SRC, file), "utf8");
  const edges: Edge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const to = relative(SRC, resolve(dirname(join(SRC, file)), m[3]!));
    // `import { type A, type B }` is type-only too.
    const names = /\{([^}]*)\}/.exec(m[0]!)?.[1];
    const allTypes = names !== undefined && names.split(",").every((n) => n.trim() === "" || n.trim().startsWith("type "));
    edges.push({ to, typeOnly: m[2] !== undefined || allTypes });
  }
  return edges;
}

/** Tarjan's strongly connected components: the loops. */
function loops(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found.sort((a, b) => b.length - a.length);
}

export interface ImportShape {
  /** Files importing one another in a loop, type-only imports counted. */
  loops: string[][];
  /** The same with type-only imports left out: loops that run. */
  runtimeLoops: string[][];
  /** Imports that run up through the floors, as "from -> to". */
  upward: string[];
  /** Imports from commands/ into server/. */
  commandsToServer: number;
}

/** The shape of src/'s imports. */
export function importShape(): ImportShape {
  const files = [...new Bun.Glob("**/*.ts").scanSync(SRC)].sort();
  const edges = new Map(files.map((f) => [f, edgesOf(f)]));
  const graph = (keep: (e: Edge) => boolean) => new Map(files.map((f) => [f, edges.get(f)!.filter(keep).map((e) => e.to)]));
  const upward: string[] = [];
  let commandsToServer = 0;
  for (const [from, out] of edges) {
    for (const e of out) {
      if (from.startsWith("commands/") && e.to.startsWith("server/")) commandsToServer++;
      if (floorOf(e.to) > floorOf(from)) upward.push(`${from} -> ${e.to}${e.typeOnly ? " (type)" : ""}`);
    }
  }
  return { loops: loops(graph(() => true)), runtimeLoops: loops(graph((e) => !e.typeOnly)), upward, commandsToServer };
}

if (import.meta.main) {
  const shape = importShape();
  const list = process.argv.includes("--list");
  for (const [label, found] of [["all imports", shape.loops], ["runtime imports (type-only left out)", shape.runtimeLoops]] as const) {
    console.log(`${label}: ${found.length} loop(s), ${found.reduce((n, c) => n + c.length, 0)} files in them${found.length > 0 ? ` (largest ${found[0]!.length})` : ""}`);
    if (list) for (const c of found) console.log(`  loop: ${c.join(" ")}`);
  }
  console.log(`imports from commands/ into server/: ${shape.commandsToServer}`);
  console.log(`upward imports: ${shape.upward.length}`);
  if (list) for (const u of shape.upward) console.log(`  ${u}`);
}
