/** `diagram`: the library's statecharts as Mermaid or Graphviz, from the machine definitions (src/machine-graph.ts). */
import type { AnyStateMachine } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { creatorMachine } from '../../machines/creator.machine.js';
import { dispatcherMachine } from '../../machines/dispatcher.machine.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { machineGraph, toDot, toMermaid } from '../machine-graph.js';
import type { Invocation } from './args.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './io.js';

type DiagramInvocation = Extract<Invocation, { command: 'diagram' }>;

const MACHINES: Readonly<Record<Exclude<DiagramInvocation['machine'], 'all'>, AnyStateMachine>> = {
  connection: connectionMachine,
  worker: workerMachine,
  creator: creatorMachine,
  dispatcher: dispatcherMachine,
};

/** The diagram text of the chosen machine(s). */
export function diagramText({ format, machine }: Omit<DiagramInvocation, 'command'>): string {
  const names = machine === 'all' ? (Object.keys(MACHINES) as (keyof typeof MACHINES)[]) : [machine];
  const render = format === 'dot' ? toDot : toMermaid;
  const comment = format === 'dot' ? '//' : '%%';
  return names
    .map((name) => {
      const text = render(machineGraph(MACHINES[name])).trimEnd();
      return machine === 'all' ? `${comment} ${name} machine\n${text}` : text;
    })
    .join('\n\n');
}

export function runDiagram(invocation: DiagramInvocation, output: Output): number {
  output.out(diagramText(invocation));
  return EXIT.ok;
}
