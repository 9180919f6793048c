/**
 * Lays a machine's graph out as a statechart with ELK (elkjs, its layered algorithm, in a worker thread): states
 * as boxes nested in their parents, one labelled arrow per transition (a targetless one as a loop on its
 * state, one declared on the root from an "any state" point), and an arrow from a dot to each initial state.
 *
 * The layout runs on the server (in a worker thread), once per machine and process, so the page only draws
 * the coordinates it is sent: it loads no layout code, and its Content-Security-Policy stays as strict as
 * before (no `unsafe-eval`, no worker). All coordinates are absolute (`elk.json.shapeCoords` / `edgeCoords`
 * = `ROOT`).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { GraphState, GraphTransition, MachineGraph } from '../machine-graph.js';
import { transitionLabel } from '../machine-graph.js';
import { ownFile } from '../runtime/own-file.js';

export interface LaidOutState {
  /** The state's XState id. */
  readonly id: string;
  /** Dotted path (`online.connected`), `''` for the root. */
  readonly path: string;
  readonly key: string;
  readonly kind: 'atomic' | 'compound' | 'final' | 'initial' | 'any';
  readonly tags: readonly string[];
  readonly invokes: readonly string[];
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface LaidOutEdge {
  /** Index into the graph's `transitions`, or -1 for the arrow to an initial state. */
  readonly transition: number;
  readonly source: string;
  readonly target: string;
  readonly event: string;
  readonly label: string;
  /** `[x, y]` points from the source's border to the target's. */
  readonly points: readonly (readonly [number, number])[];
  readonly labelBox: {
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
  };
}

export interface MachineLayout {
  readonly width: number;
  readonly height: number;
  /** Set when the layout failed: the chart is not drawn, the page says why. */
  readonly error?: string;
  readonly states: readonly LaidOutState[];
  readonly edges: readonly LaidOutEdge[];
}

/** Rough text metrics of the page's 11 px system font: enough for ELK to leave room for every label. */
const CHAR_WIDTH = 6.4;
const LINE_HEIGHT = 14;
const textWidth = (text: string) => Math.ceil(text.length * CHAR_WIDTH) + 8;

interface ElkLabel {
  text: string;
  width: number;
  height: number;
  x?: number;
  y?: number;
}
interface ElkNode {
  id: string;
  width?: number;
  height?: number;
  x?: number;
  y?: number;
  labels?: ElkLabel[];
  children?: ElkNode[];
  edges?: ElkEdge[];
  layoutOptions?: Record<string, string>;
}
interface ElkEdge {
  id: string;
  sources: string[];
  targets: string[];
  labels?: ElkLabel[];
  sections?: {
    startPoint: { x: number; y: number };
    endPoint: { x: number; y: number };
    bendPoints?: { x: number; y: number }[];
  }[];
}

const ROOT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.inline': 'false',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.spacing.nodeNode': '22',
  'elk.spacing.edgeLabel': '2',
  'elk.spacing.edgeNode': '12',
  'elk.layered.spacing.edgeNodeBetweenLayers': '12',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.padding': '[top=12,left=12,bottom=12,right=12]',
};
const COMPOUND_OPTIONS: Record<string, string> = {
  'elk.padding': '[top=30,left=12,bottom=12,right=12]',
};

const INITIAL = '__initial';
const ANY = '__any';

function stateSize(state: GraphState): { width: number; height: number } {
  const details = [state.tags.join(' '), state.invokes.length ? `runs ${state.invokes.join(', ')}` : '']
    .filter(Boolean)
    .map(textWidth);
  return {
    width: Math.max(72, textWidth(state.key) + 16, ...details),
    height: LINE_HEIGHT * (1 + Math.min(details.length, 2)) + 14,
  };
}

function label(text: string): ElkLabel {
  return { text, width: textWidth(text), height: LINE_HEIGHT };
}

/**
 * Computes the layout of `graph` with ELK, in a worker thread: ELK runs synchronously for up to a second on
 * the largest machine, which must not stall the service's event loop (its probes and timers). Cache it.
 */
export async function layoutMachine(graph: MachineGraph): Promise<MachineLayout> {
  const byId = new Map<string, GraphState>();
  const toNode = (state: GraphState): ElkNode => {
    byId.set(state.id, state);
    if (state.states.length === 0) return { id: state.id, ...stateSize(state) };
    return {
      id: state.id,
      labels: [label(state.key)],
      layoutOptions: COMPOUND_OPTIONS,
      children: [{ id: `${state.id}.${INITIAL}`, width: 10, height: 10 }, ...state.states.map(toNode)],
    };
  };
  const children = [
    { id: `${graph.root.id}.${INITIAL}`, width: 10, height: 10 },
    ...graph.root.states.map(toNode),
  ];
  const edges: ElkEdge[] = [];
  const meta: { transition: number; event: string; label: string }[] = [];
  const addEdge = (source: string, target: string, transition: number, event: string, text: string) => {
    edges.push({
      id: `e${edges.length}`,
      sources: [source],
      targets: [target],
      labels: text ? [label(text)] : [],
    });
    meta.push({ transition, event, label: text });
  };
  for (const state of [graph.root, ...byId.values()]) {
    const initial = state.states.find((child) => child.key === state.initial);
    if (initial) addEdge(`${state.id}.${INITIAL}`, initial.id, -1, '', '');
  }
  const hasAny = graph.transitions.some((t) => t.source === graph.root.id);
  if (hasAny) children.push({ id: `${graph.root.id}.${ANY}`, width: textWidth('any state') + 8, height: 22 });
  graph.transitions.forEach((t: GraphTransition, index) => {
    const source = t.source === graph.root.id ? `${graph.root.id}.${ANY}` : t.source;
    const text = transitionLabel(t);
    if (t.targets.length === 0) addEdge(source, source, index, t.event, text);
    for (const target of t.targets) addEdge(source, target, index, t.event, text);
  });
  const laid = await runElk({
    id: `${graph.root.id}.__root`,
    layoutOptions: ROOT_OPTIONS,
    children,
    edges,
  });

  const states: LaidOutState[] = [];
  const visit = (node: ElkNode) => {
    const state = byId.get(node.id);
    const suffix = node.id.slice(node.id.lastIndexOf('.') + 1);
    const kind: LaidOutState['kind'] = state
      ? state.states.length > 0
        ? 'compound'
        : state.type === 'final'
          ? 'final'
          : 'atomic'
      : suffix === ANY
        ? 'any'
        : 'initial';
    states.push({
      id: node.id,
      path: state?.path ?? '',
      key: state?.key ?? (kind === 'any' ? 'any state' : ''),
      kind,
      tags: state?.tags ?? [],
      invokes: state?.invokes ?? [],
      x: node.x ?? 0,
      y: node.y ?? 0,
      width: node.width ?? 0,
      height: node.height ?? 0,
    });
    for (const child of node.children ?? []) visit(child);
  };
  for (const child of laid.children ?? []) visit(child);
  const laidEdges = collectEdges(laid);
  return {
    width: Math.ceil(laid.width ?? 0),
    height: Math.ceil(laid.height ?? 0),
    states,
    edges: edges.map((edge, i) => {
      const out = laidEdges.get(edge.id) ?? edge;
      const section = out.sections?.[0];
      const points: [number, number][] = section
        ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map((p) => [
            Math.round(p.x * 10) / 10,
            Math.round(p.y * 10) / 10,
          ])
        : [];
      const box = out.labels?.[0];
      const m = meta[i] as (typeof meta)[number];
      return {
        transition: m.transition,
        source: edge.sources[0] as string,
        target: edge.targets[0] as string,
        event: m.event,
        label: m.label,
        points,
        labelBox: {
          x: box?.x ?? 0,
          y: box?.y ?? 0,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
        },
      };
    }),
  };
}

/** Runs in the worker (CommonJS, from a string, so that it needs no file of ours at run time). */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const elk = new (require(workerData.elk))();
parentPort.on('message', ({ id, graph }) => elk.layout(graph).then(
  (laid) => parentPort.postMessage({ id, laid }),
  (error) => parentPort.postMessage({ id, error: String((error && error.message) || error) }),
));
`;

interface ElkReply {
  readonly id: number;
  readonly laid?: ElkNode;
  readonly error?: string;
}

/** One worker thread for the layouts asked for at once (ELK loaded once); it ends when none is left. */
let shared: { readonly worker: Worker; pending: number } | undefined;
let nextId = 0;

/** ELK's layered layout of one graph, in the worker thread. */
async function runElk(graph: ElkNode): Promise<ElkNode> {
  if (shared === undefined) {
    const elk = createRequire(ownFile()).resolve('elkjs/lib/elk.bundled.js');
    shared = { worker: new Worker(WORKER, { eval: true, workerData: { elk } }), pending: 0 };
  }
  const current = shared;
  const id = nextId++;
  current.pending++;
  try {
    return await new Promise<ElkNode>((resolve, reject) => {
      const onMessage = (reply: ElkReply) => {
        if (reply.id !== id) return;
        done();
        if (reply.laid) resolve(reply.laid);
        else reject(new Error(`the inspector's graph layout (elkjs) failed: ${reply.error}`));
      };
      const onExit = (code: number) => {
        done();
        reject(new Error(`the inspector's graph layout (elkjs) worker exited with code ${code}`));
      };
      const done = () => {
        current.worker.off('message', onMessage);
        current.worker.off('exit', onExit);
      };
      current.worker.on('message', onMessage);
      current.worker.on('exit', onExit);
      current.worker.postMessage({ id, graph });
    });
  } finally {
    if (--current.pending === 0) {
      if (shared === current) shared = undefined;
      void current.worker.terminate();
    }
  }
}

/** ELK may return an edge in the node that contains it: gather them all by id. */
function collectEdges(node: ElkNode, out = new Map<string, ElkEdge>()): Map<string, ElkEdge> {
  for (const edge of node.edges ?? []) out.set(edge.id, edge);
  for (const child of node.children ?? []) collectEdges(child, out);
  return out;
}

const cache = new Map<string, Promise<MachineLayout>>();

/** `layoutMachine`, once per distinct graph in this process. */
export function cachedLayout(graph: MachineGraph): Promise<MachineLayout> {
  const key = JSON.stringify(graph);
  let found = cache.get(key);
  if (!found) {
    found = layoutMachine(graph);
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}
