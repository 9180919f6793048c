/**
 * The machine graph against the machines themselves: every transition the model tests enumerate appears,
 * nested states carry their paths and initial states, guards and delays keep their names; and the Mermaid
 * and DOT renderings draw each of them.
 */

import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, createMachine } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { creatorMachine } from '../../machines/creator.machine.js';
import { workerMachine } from '../../machines/worker.machine.js';
import {
  graphStates,
  type MachineGraph,
  machineGraph,
  summarizeStates,
  toDot,
  toMermaid,
} from '../../src/machine-graph.js';
import { allTransitions } from '../model/transition-paths.js';

const MACHINES: [string, AnyStateMachine][] = [
  ['connection', connectionMachine],
  ['worker', workerMachine],
  ['creator', creatorMachine],
];

const stateById = (graph: MachineGraph, id: string) => {
  const found = graphStates(graph).find((state) => state.id === id);
  if (!found) throw new Error(`no state ${id} in ${graph.id}`);
  return found;
};

describe('machineGraph', () => {
  it.each(MACHINES)('%s: has every transition the model tests enumerate, and no other', (_name, machine) => {
    const graph = machineGraph(machine);
    const expected = allTransitions(machine).map((t) => ({
      source: t.source,
      event: t.event,
      index: t.index,
      targets: t.targets,
      guard: t.guard,
    }));
    const actual = graph.transitions.map((t) => ({
      source: t.source,
      event: t.event,
      index: t.index,
      targets: t.targets,
      guard: t.guard,
    }));
    expect(expected.length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  });

  it('nests states with ids, paths, types, tags, initial states and invoked actors', () => {
    const graph = machineGraph(connectionMachine);
    expect(graph.id).toBe('connection');
    expect(graph.root.initial).toBe('disconnected');
    expect(graph.root.states.map((s) => s.key)).toEqual([
      'disconnected',
      'connecting',
      'online',
      'backoff',
      'stopping',
    ]);
    const online = stateById(graph, 'connection.online');
    expect(online).toMatchObject({
      type: 'compound',
      initial: 'connected',
      tags: ['serving'],
      path: 'online',
    });
    expect(online.invokes).toEqual(['watchConnection']);
    const probing = stateById(graph, 'connection.online.connected.probing');
    expect(probing).toMatchObject({ key: 'probing', path: 'online.connected.probing', type: 'atomic' });
    expect(probing.invokes).toEqual(['probe']);
    expect(stateById(graph, 'connection.online.degraded').initial).toBe('probing');
    expect(stateById(graph, 'connection.backoff').tags).toEqual(['backoff']);
    const worker = machineGraph(workerMachine);
    expect(stateById(worker, 'worker.stopped').type).toBe('final');
    expect(stateById(worker, 'worker.refreshing').invokes).toEqual(['refreshWorker']);
  });

  it('names guards, delays and invoked actors, keeps guarded alternatives in order, and marks targetless ones', () => {
    const graph = machineGraph(connectionMachine);
    const retryNow = graph.transitions.find((t) => t.event === 'RETRY_NOW');
    expect(retryNow).toMatchObject({
      source: 'connection.backoff',
      targets: ['connection.connecting'],
      guard: 'mayRetryEarly',
      kind: 'event',
      label: 'RETRY_NOW',
    });
    const retryDelay = graph.transitions.find((t) => t.kind === 'after' && t.source === 'connection.backoff');
    expect(retryDelay).toMatchObject({
      delay: 'retryDelay',
      label: 'after retryDelay',
      guard: 'isNotSpreading',
    });
    const degradedProbe = graph.transitions.filter(
      (t) => t.source === 'connection.online.degraded.probing' && t.kind === 'done',
    );
    expect(degradedProbe.map((t) => [t.index, t.guard, t.targets[0]])).toEqual([
      [0, 'isSlowProbe', 'connection.online.degraded.idle'],
      [1, 'isRecovered', 'connection.online.connected'],
      [2, undefined, 'connection.online.degraded.idle'],
    ]);
    expect(degradedProbe[0]?.label).toBe('probe done');
    const stable = graph.transitions.find((t) => t.delay === 'stablePeriod');
    expect(stable).toMatchObject({ source: 'connection.online.connected', targets: [] });
    const rootStop = graph.transitions.find((t) => t.source === 'connection');
    expect(rootStop).toMatchObject({ event: 'STOP', targets: ['connection.stopping'] });
    // The worker's restart delay has two guarded alternatives under one delayed event.
    const restart = machineGraph(workerMachine).transitions.filter((t) => t.delay === 'restartDelay');
    expect(restart.map((t) => [t.guard, t.targets[0]])).toEqual([
      ['isConnected', 'worker.starting'],
      [undefined, 'worker.idle'],
    ]);
  });

  it('handles eventless transitions, inline guards, numeric delays and parallel states', () => {
    const machine = createMachine({
      id: 'toy',
      initial: 'a',
      states: {
        a: { always: { guard: () => true, target: 'b' } },
        b: { after: { 500: 'c' } },
        c: { type: 'parallel', states: { left: {}, right: {} } },
      },
    });
    const graph = machineGraph(machine);
    expect(graph.transitions).toEqual([
      expect.objectContaining({ source: 'toy.a', kind: 'always', guard: 'inline', targets: ['toy.b'] }),
      expect.objectContaining({ source: 'toy.b', kind: 'after', delay: '500', label: 'after 500' }),
    ]);
    expect(stateById(graph, 'toy.c')).toMatchObject({ type: 'parallel', initial: undefined });
    expect(toMermaid(graph)).toContain('a --> b : always [inline]');
  });

  it('rejects what is not a machine, saying what it expects', () => {
    expect(() => machineGraph({} as AnyStateMachine)).toThrow(/expects an XState v5 machine/);
  });
});

describe('summarizeStates', () => {
  it('lists what enters and leaves each state', () => {
    const summaries = summarizeStates(machineGraph(connectionMachine));
    const of = (path: string) => summaries.find((s) => s.state.path === path);
    expect(of('backoff')?.enteredBy).toContain('CONNECTION_LOST from online');
    expect(of('backoff')?.leftBy).toEqual([
      'RETRY_NOW [mayRetryEarly] → connecting',
      'after retryDelay [isNotSpreading] → connecting',
    ]);
    expect(of('backoff.waiting')?.leftBy).toEqual(['RETRY_NOW [spreadsRetry] → backoff.spreading']);
    expect(of('backoff.spreading')?.leftBy).toEqual(['after spreadDelay → connecting']);
    expect(of('stopping')?.enteredBy).toEqual(['STOP from any state']);
    expect(of('online.connected')?.enteredBy[0]).toBe('initial of online');
    expect(of('online.connected')?.leftBy).toContain('after stablePeriod (stays)');
    expect(summaries.some((s) => s.state.path === '')).toBe(false);
  });
});

describe('toMermaid', () => {
  it.each(MACHINES)(
    '%s: declares every state once and draws every state-changing transition',
    (_n, machine) => {
      const graph = machineGraph(machine);
      const text = toMermaid(graph);
      expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
      const declared = [...text.matchAll(/state "([^"]+)" as (\w+)/g)].map((m) => m[2]);
      expect(new Set(declared).size).toBe(declared.length);
      expect(declared.length).toBe(graphStates(graph).length - 1);
      const opened = (text.match(/\{/g) ?? []).length;
      expect(opened).toBe((text.match(/\}/g) ?? []).length);
      expect(opened).toBe(graphStates(graph).filter((s) => s !== graph.root && s.states.length > 0).length);
      const id = (stateId: string) => stateId.slice(graph.id.length + 1).replace(/\./g, '_');
      for (const t of graph.transitions) {
        if (t.targets.length === 0 || t.source === graph.root.id) continue;
        const label = t.guard ? `${t.label} [${t.guard}]` : t.label;
        for (const target of t.targets)
          expect(text).toContain(`  ${id(t.source)} --> ${id(target)} : ${label}\n`);
      }
    },
  );

  it('marks initial and final states, and notes transitions from any state', () => {
    expect(toMermaid(machineGraph(connectionMachine))).toContain(
      'note left of stopping : STOP from any state',
    );
    const worker = toMermaid(machineGraph(workerMachine));
    expect(worker).toContain('\n  [*] --> idle\n');
    expect(worker).toContain('    [*] --> running_steady\n');
    expect(worker).toContain('  stopped --> [*]\n');
  });
});

describe('toDot', () => {
  it.each(MACHINES)('%s: a cluster per compound state and an edge per transition', (_n, machine) => {
    const graph = machineGraph(machine);
    const text = toDot(graph);
    expect(text.startsWith(`digraph "${graph.id}" {`)).toBe(true);
    expect((text.match(/\{/g) ?? []).length).toBe((text.match(/\}/g) ?? []).length);
    const compound = graphStates(graph).filter((s) => s !== graph.root && s.states.length > 0);
    for (const state of compound) expect(text).toContain(`subgraph "cluster_${state.id}" {`);
    const edges = text.split('\n').filter((line) => line.includes(' -> ') && line.includes('label='));
    const drawn = graph.transitions.reduce(
      (n, t) => n + (t.targets.length === 0 ? (t.source === graph.root.id ? 0 : 1) : t.targets.length),
      0,
    );
    expect(edges).toHaveLength(drawn);
  });

  it('clips edges to compound states at the cluster border', () => {
    const text = toDot(machineGraph(connectionMachine));
    expect(text).toContain(
      '"connection.connecting" -> "connection.online.__initial" [label="connect done", lhead="cluster_connection.online"];',
    );
    expect(text).toContain('"connection.__any" -> "connection.stopping.__initial"');
  });
});
