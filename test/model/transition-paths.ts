import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
  getInitialSnapshot,
  type StateNode,
  type TransitionDefinition,
} from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';

/** One transition of a machine: a (source state node, event, candidate index) triple. */
export interface MachineTransition {
  /** `source|event|index`, stable across runs. */
  readonly key: string;
  readonly source: string;
  readonly event: string;
  /** Index among the source's candidates for that event (guarded alternatives). */
  readonly index: number;
  readonly targets: readonly string[];
  readonly guard: string | undefined;
}

/** A path from the initial state that ends by taking one given transition. */
export interface TransitionPath<TEvent extends EventObject> {
  readonly transition: MachineTransition;
  /** Each step: the event sent, and the model's snapshot after it. */
  readonly steps: readonly { readonly event: TEvent; readonly state: AnyMachineSnapshot }[];
}

type AnyTransitionDefinition = TransitionDefinition<never, EventObject>;
type AnyStateNode = StateNode<never, EventObject>;

function guardName(definition: AnyTransitionDefinition): string | undefined {
  const guard = definition.guard as unknown;
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard)
    return String((guard as { type: unknown }).type);
  return 'inline';
}

function describe(definition: AnyTransitionDefinition): MachineTransition {
  const source = definition.source as AnyStateNode;
  const candidates = (source.transitions.get(definition.eventType) ??
    []) as unknown as AnyTransitionDefinition[];
  const index = candidates.indexOf(definition);
  return {
    key: `${source.id}|${definition.eventType}|${index}`,
    source: source.id,
    event: definition.eventType,
    index,
    targets: (definition.target ?? []).map((t) => (t as AnyStateNode).id),
    guard: guardName(definition),
  };
}

/** Every transition declared anywhere in the machine (`on`, `after`, invoke `onDone`/`onError`, `always`). */
export function allTransitions(machine: AnyStateMachine): MachineTransition[] {
  const out: MachineTransition[] = [];
  const visit = (node: AnyStateNode) => {
    for (const definitions of node.transitions.values()) {
      for (const definition of definitions as unknown as AnyTransitionDefinition[])
        out.push(describe(definition));
    }
    for (const definition of (node.always ?? []) as unknown as AnyTransitionDefinition[])
      out.push(describe(definition));
    for (const child of Object.values(node.states)) visit(child as AnyStateNode);
  };
  visit(machine.root as unknown as AnyStateNode);
  return out;
}

export interface PathOptions<TEvent extends EventObject> {
  readonly input: unknown;
  /** Every event (with payload variants) worth trying in a snapshot. */
  readonly events: (snapshot: AnyMachineSnapshot) => readonly TEvent[];
  /** Identity of a snapshot for the traversal: abstract away what guards never read. */
  readonly serializeState: (snapshot: AnyMachineSnapshot) => string;
}

/**
 * One path per transition: the shortest path (breadth-first over the adjacency map) to a state where the
 * transition is taken, followed by the event that takes it. Also returns the transitions no edge takes
 * (unreachable with the given events: a hole in the model or in the event list).
 */
export function pathsPerTransition<TEvent extends EventObject>(
  machine: AnyStateMachine,
  options: PathOptions<TEvent>,
): { paths: TransitionPath<TEvent>[]; all: MachineTransition[]; unreached: MachineTransition[] } {
  const all = allTransitions(machine);
  const serialize = (snapshot: AnyMachineSnapshot) => options.serializeState(snapshot);
  const adjacency = getAdjacencyMap(machine, {
    input: options.input,
    events: (snapshot: AnyMachineSnapshot) => [...options.events(snapshot)],
    serializeState: serialize,
  } as never) as unknown as Record<
    string,
    { state: AnyMachineSnapshot; transitions: Record<string, { event: TEvent; state: AnyMachineSnapshot }> }
  >;

  const initialKey = serialize(getInitialSnapshot(machine, options.input) as AnyMachineSnapshot);
  // Breadth-first: the shortest way to every reachable state.
  const via = new Map<string, { from: string; event: TEvent; state: AnyMachineSnapshot } | null>([
    [initialKey, null],
  ]);
  const order = [initialKey];
  for (let i = 0; i < order.length; i++) {
    const key = order[i] as string;
    for (const { event, state } of Object.values(adjacency[key]?.transitions ?? {})) {
      const next = serialize(state);
      if (!via.has(next)) {
        via.set(next, { from: key, event, state });
        order.push(next);
      }
    }
  }
  const pathTo = (key: string) => {
    const steps: { event: TEvent; state: AnyMachineSnapshot }[] = [];
    for (let link = via.get(key); link; link = via.get(link.from))
      steps.unshift({ event: link.event, state: link.state });
    return steps;
  };

  const byKey = new Map<string, TransitionPath<TEvent>>();
  for (const key of order) {
    const vertex = adjacency[key];
    if (!vertex) continue;
    for (const { event, state } of Object.values(vertex.transitions)) {
      const taken = machine.getTransitionData(
        vertex.state as never,
        event as never,
      ) as unknown as AnyTransitionDefinition[];
      for (const definition of taken) {
        const transition = describe(definition);
        if (byKey.has(transition.key)) continue;
        byKey.set(transition.key, { transition, steps: [...pathTo(key), { event, state }] });
      }
    }
  }
  const paths = all.map((t) => byKey.get(t.key)).filter((p): p is TransitionPath<TEvent> => p !== undefined);
  const unreached = all.filter((t) => !byKey.has(t.key));
  return { paths, all, unreached };
}
