/**
 * A plain JSON view of an XState v5 machine's topology (states, transitions), and two renderings of it:
 * Mermaid `stateDiagram-v2` and Graphviz DOT. Pure: no I/O, and the same machine always gives the same text,
 * so generated docs can be checked for staleness byte for byte.
 */
import type { AnyStateMachine } from 'xstate';

/** One state node. `path` is relative to the machine (`online.connected`); the root's path is `''`. */
export interface GraphState {
  /** The node's XState id, e.g. `connection.online.connected`. */
  readonly id: string;
  /** The node's own key, e.g. `connected` (the machine id for the root). */
  readonly key: string;
  /** Dotted path from the root, as in a state value: `online.connected`. `''` for the root. */
  readonly path: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The key of the initial child, for a compound state. */
  readonly initial: string | undefined;
  readonly tags: readonly string[];
  /** The `src` of each actor invoked while in this state (`connect`, `probe`, …). */
  readonly invokes: readonly string[];
  readonly states: readonly GraphState[];
}

/** How a transition is triggered. */
export type TransitionKind = 'event' | 'after' | 'done' | 'error' | 'always';

/** One transition candidate (guarded alternatives of one event are separate transitions, in order). */
export interface GraphTransition {
  /** Id of the state node that declares it. */
  readonly source: string;
  /** Ids of the target nodes; empty for a targetless transition (actions only, the state does not change). */
  readonly targets: readonly string[];
  /** The raw event type: `START`, `xstate.after.retryDelay.connection.backoff`, `xstate.done.actor.probe`. */
  readonly event: string;
  readonly kind: TransitionKind;
  /** A short human label: `START`, `after retryDelay`, `probe done`, `connect error`. */
  readonly label: string;
  /** The delay's name (or ms, as a string) of an `after` transition. */
  readonly delay: string | undefined;
  /** The guard's name, if any (`inline` for an anonymous function). */
  readonly guard: string | undefined;
  /** Index among the source's candidates for this event (0 is tried first). */
  readonly index: number;
}

export interface MachineGraph {
  /** The machine's id (`connection`, `worker`, `creator`). */
  readonly id: string;
  readonly root: GraphState;
  /** Every transition declared anywhere in the machine, in document order. */
  readonly transitions: readonly GraphTransition[];
}

/** The subset of XState's StateNode we read (its public fields; typed loosely on purpose). */
interface NodeLike {
  readonly id: string;
  readonly key: string;
  readonly type: GraphState['type'];
  readonly initial?: { readonly target?: readonly NodeLike[] };
  readonly tags: readonly string[];
  readonly invoke: readonly { readonly id: string; readonly src: unknown }[];
  readonly after: readonly { readonly delay: unknown; readonly eventType: string }[];
  readonly transitions: ReadonlyMap<string, readonly DefinitionLike[]>;
  readonly always?: readonly DefinitionLike[];
  readonly states: Readonly<Record<string, NodeLike>>;
  readonly machine: { readonly root: NodeLike };
}

interface DefinitionLike {
  readonly eventType: string;
  readonly target?: readonly NodeLike[];
  readonly guard?: unknown;
}

const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';
const AFTER = 'xstate.after.';

/** Derives the graph of a machine (from `setup(…).createMachine(…)`). */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.root as unknown as NodeLike;
  if (!root || typeof root !== 'object' || !('states' in root)) {
    throw new TypeError(
      'machineGraph() expects an XState v5 machine (the result of createMachine() or setup().createMachine()).',
    );
  }
  const transitions: GraphTransition[] = [];
  const visit = (node: NodeLike): GraphState => {
    const delays = new Map(node.after.map((entry) => [entry.eventType, String(entry.delay)]));
    for (const [eventType, definitions] of node.transitions) {
      definitions.forEach((definition, index) => {
        transitions.push(describe(node, eventType, definition, index, delays.get(eventType)));
      });
    }
    (node.always ?? []).forEach((definition, index) => {
      transitions.push(describe(node, '', definition, index, undefined));
    });
    return {
      id: node.id,
      key: node.key,
      path: pathOf(root, node),
      type: node.type,
      initial: node.type === 'compound' ? node.initial?.target?.[0]?.key : undefined,
      tags: [...node.tags],
      invokes: node.invoke.map((invocation) =>
        typeof invocation.src === 'string' ? invocation.src : 'inline',
      ),
      states: Object.values(node.states).map(visit),
    };
  };
  const graphRoot = visit(root);
  return { id: root.id, root: graphRoot, transitions };
}

function pathOf(root: NodeLike, node: NodeLike): string {
  return node === root ? '' : node.id.slice(root.id.length + 1);
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String(guard.type);
  return 'inline';
}

function describe(
  node: NodeLike,
  eventType: string,
  definition: DefinitionLike,
  index: number,
  delay: string | undefined,
): GraphTransition {
  const base = {
    source: node.id,
    targets: (definition.target ?? []).map((target) => target.id),
    guard: guardName(definition.guard),
    index,
  };
  if (eventType === '') {
    return { ...base, event: '', kind: 'always', label: 'always', delay: undefined };
  }
  if (eventType.startsWith(AFTER)) {
    const name = delay ?? eventType.slice(AFTER.length).split('.')[0] ?? eventType;
    return { ...base, event: eventType, kind: 'after', label: `after ${name}`, delay: name };
  }
  for (const [prefix, kind] of [
    [DONE, 'done'],
    [ERROR, 'error'],
  ] as const) {
    if (eventType.startsWith(prefix)) {
      const label = `${eventType.slice(prefix.length)} ${kind}`;
      return { ...base, event: eventType, kind, label, delay: undefined };
    }
  }
  return { ...base, event: eventType, kind: 'event', label: eventType, delay: undefined };
}

/** Every state of the graph, depth first (the root first). */
export function graphStates(graph: MachineGraph): GraphState[] {
  const out: GraphState[] = [];
  const visit = (state: GraphState) => {
    out.push(state);
    for (const child of state.states) visit(child);
  };
  visit(graph.root);
  return out;
}

/** A transition's label with its guard: `RETRY_NOW [mayRetryEarly]`. */
export function transitionLabel(transition: GraphTransition): string {
  return transition.guard ? `${transition.label} [${transition.guard}]` : transition.label;
}

/** A state's path for people: its dotted path, or the machine id for the root. */
function displayPath(graph: MachineGraph, id: string): string {
  return id === graph.root.id ? graph.root.id : id.slice(graph.root.id.length + 1);
}

/** What enters and leaves one state, as one line each (used by the docs generator). */
export interface StateSummary {
  readonly state: GraphState;
  /** `from —label→` descriptions of transitions that target this state, plus `initial of <parent>`. */
  readonly enteredBy: readonly string[];
  /** `label → target` descriptions of transitions declared on this state (`label (stays)` if targetless). */
  readonly leftBy: readonly string[];
}

/** For each state but the root: what enters it and what leaves it (transitions declared on it). */
export function summarizeStates(graph: MachineGraph): StateSummary[] {
  const parentOf = new Map<string, GraphState>();
  for (const state of graphStates(graph)) for (const child of state.states) parentOf.set(child.id, state);
  return graphStates(graph)
    .filter((state) => state !== graph.root)
    .map((state) => {
      const parent = parentOf.get(state.id);
      const enteredBy: string[] = [];
      if (parent && parent.initial === state.key) {
        enteredBy.push(parent === graph.root ? 'start (initial)' : `initial of ${parent.path}`);
      }
      for (const t of graph.transitions) {
        if (t.targets.includes(state.id)) {
          const from = t.source === graph.root.id ? 'any state' : displayPath(graph, t.source);
          enteredBy.push(`${transitionLabel(t)} from ${from}`);
        }
      }
      const leftBy = graph.transitions
        .filter((t) => t.source === state.id)
        .map((t) =>
          t.targets.length === 0
            ? `${transitionLabel(t)} (stays)`
            : `${transitionLabel(t)} → ${t.targets.map((id) => displayPath(graph, id)).join(', ')}`,
        );
      return { state, enteredBy, leftBy };
    });
}

// ---- Mermaid ------------------------------------------------------------------------------------------

/** A Mermaid-safe identifier for a state id: `connection.online.connected` → `online_connected`. */
function mermaidId(graph: MachineGraph, id: string): string {
  return id === graph.root.id
    ? graph.root.id
    : id.slice(graph.root.id.length + 1).replace(/[^A-Za-z0-9]/g, '_');
}

/** Text safe in a Mermaid label: no colons, semicolons, quotes or braces (they end or break the label). */
function mermaidText(text: string): string {
  return text
    .replace(/[:;"{}#]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Renders the graph as a Mermaid `stateDiagram-v2`: compound states nested, each with its initial state,
 * final states pointing to `[*]`, one arrow per transition that changes state labelled `event [guard]`.
 * Targetless transitions (actions only) are left out of the picture; transitions declared on the root (they
 * apply in every state, such as `STOP`) become a note on their target.
 */
export function toMermaid(graph: MachineGraph): string {
  const lines: string[] = ['stateDiagram-v2'];
  const indent = (depth: number) => '  '.repeat(depth);
  const emit = (state: GraphState, depth: number) => {
    const id = mermaidId(graph, state.id);
    if (state.states.length > 0) {
      lines.push(`${indent(depth)}state "${mermaidText(state.key)}" as ${id} {`);
      emitChildren(state, depth + 1);
      lines.push(`${indent(depth)}}`);
    } else {
      lines.push(`${indent(depth)}state "${mermaidText(state.key)}" as ${id}`);
    }
  };
  const emitChildren = (state: GraphState, depth: number) => {
    if (state.initial !== undefined) {
      const initial = state.states.find((child) => child.key === state.initial);
      if (initial) lines.push(`${indent(depth)}[*] --> ${mermaidId(graph, initial.id)}`);
    }
    for (const child of state.states) emit(child, depth);
    for (const child of state.states) {
      if (child.type === 'final') lines.push(`${indent(depth)}${mermaidId(graph, child.id)} --> [*]`);
    }
  };
  emitChildren(graph.root, 1);
  for (const t of graph.transitions) {
    if (t.targets.length === 0) continue;
    const label = mermaidText(transitionLabel(t));
    for (const target of t.targets) {
      if (t.source === graph.root.id) {
        lines.push(`  note left of ${mermaidId(graph, target)} : ${label} from any state`);
      } else {
        lines.push(`  ${mermaidId(graph, t.source)} --> ${mermaidId(graph, target)} : ${label}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---- DOT ----------------------------------------------------------------------------------------------

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Renders the graph as Graphviz DOT: compound states as clusters (an edge to or from one is drawn to its
 * initial point, clipped at the cluster's border), atomic states as rounded boxes, final states as double
 * boxes, targetless transitions as dashed self-loops.
 */
export function toDot(graph: MachineGraph): string {
  const lines: string[] = [
    `digraph ${dotString(graph.id)} {`,
    '  compound=true;',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  const compound = new Set<string>();
  const anchor = (id: string) => (compound.has(id) ? `${id}.__initial` : id);
  const emit = (state: GraphState, depth: number) => {
    const pad = '  '.repeat(depth);
    if (state.states.length > 0) {
      compound.add(state.id);
      const tags = state.tags.length > 0 ? `\n(${state.tags.join(', ')})` : '';
      lines.push(`${pad}subgraph ${dotString(`cluster_${state.id}`)} {`);
      lines.push(`${pad}  label=${dotString(`${state.key}${tags}`)};`);
      lines.push(`${pad}  ${dotString(`${state.id}.__initial`)} [shape=point, label=""];`);
      const initial = state.states.find((child) => child.key === state.initial);
      for (const child of state.states) emit(child, depth + 1);
      if (initial) {
        lines.push(`${pad}  ${dotString(`${state.id}.__initial`)} -> ${dotString(anchor(initial.id))};`);
      }
      lines.push(`${pad}}`);
    } else {
      const shape = state.type === 'final' ? ', peripheries=2' : '';
      lines.push(`${pad}${dotString(state.id)} [label=${dotString(state.key)}${shape}];`);
    }
  };
  // The root is the graph itself: its children are emitted at the top level, with a start point.
  lines.push(`  ${dotString(`${graph.root.id}.__initial`)} [shape=point, label=""];`);
  if (graph.transitions.some((t) => t.source === graph.root.id && t.targets.length > 0)) {
    lines.push(`  ${dotString(`${graph.root.id}.__any`)} [shape=plaintext, label="any state"];`);
  }
  for (const child of graph.root.states) emit(child, 1);
  // Compound ids are only known after the walk, so edges come last.
  const initial = graph.root.states.find((child) => child.key === graph.root.initial);
  if (initial)
    lines.push(`  ${dotString(`${graph.root.id}.__initial`)} -> ${dotString(anchor(initial.id))};`);
  for (const t of graph.transitions) {
    const label = dotString(transitionLabel(t));
    if (t.targets.length === 0) {
      if (t.source === graph.root.id) continue;
      const tail = compound.has(t.source) ? `, ltail=${dotString(`cluster_${t.source}`)}` : '';
      lines.push(
        `  ${dotString(anchor(t.source))} -> ${dotString(anchor(t.source))} [label=${label}, style=dashed${tail}];`,
      );
      continue;
    }
    for (const target of t.targets) {
      const from = t.source === graph.root.id ? `${graph.root.id}.__any` : anchor(t.source);
      const attributes = [`label=${label}`];
      if (t.source === graph.root.id) attributes.push('style=dotted');
      if (compound.has(t.source)) attributes.push(`ltail=${dotString(`cluster_${t.source}`)}`);
      if (compound.has(target)) attributes.push(`lhead=${dotString(`cluster_${target}`)}`);
      lines.push(`  ${dotString(from)} -> ${dotString(anchor(target))} [${attributes.join(', ')}];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
