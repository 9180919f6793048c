/**
 * The public types, checked by `npm run typecheck` (tsconfig.json includes test/): each `@ts-expect-error` below
 * is a call the SDK's own `client.workflow.start` rejects, or a name the options do not configure. If the typing
 * regresses (a start goes back to `WorkflowStartOptions` of any workflow, a name back to `string`), the directive
 * is unused and the typecheck fails; the `expectTypeOf` lines fail it when a type is no longer the SDK's.
 *
 * The compile-time cases live in functions that are never called: they would need a server. The runtime cases
 * check what the types stand for: an unknown name is refused at run time too.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createSupervisor,
  type NamedSupervisorOptions,
  type StartOutcome,
  type Supervisor,
  type SupervisorOptions,
  type WorkflowCreator,
} from '../../src/index.js';
import { FakeConnector } from '../support/fake-connector.js';

async function processOrder(orderId: string, quantity: number): Promise<{ total: number }> {
  return { total: orderId.length * quantity };
}

const addItem = { type: 'signal', name: 'addItem' } as SignalDefinition<[sku: string]>;

function compileOnlyStarts(creator: WorkflowCreator): void {
  const start = { workflowId: 'order-1', taskQueue: 'orders' };

  // Arguments are checked against the workflow function, as `client.workflow.start` checks them.
  void creator.start(processOrder, { ...start, args: ['order-1', 2] });
  // @ts-expect-error a number where the workflow takes a string
  void creator.start(processOrder, { ...start, args: [42, 2] });
  // @ts-expect-error an argument missing
  void creator.start(processOrder, { ...start, args: ['order-1'] });
  // @ts-expect-error args are required when the workflow takes some
  void creator.start(processOrder, start);

  // By name with the function's type: the same checks.
  void creator.start<typeof processOrder>('processOrder', { ...start, args: ['order-1', 2] });
  // @ts-expect-error by name, typed: a wrong argument
  void creator.start<typeof processOrder>('processOrder', { ...start, args: ['order-1', 'two'] });
  // By name alone: anything goes, as with the SDK.
  void creator.start('processOrder', { ...start, args: [42] });

  // signalWithStart: the workflow's args and the signal's args.
  void creator.signalWithStart(processOrder, {
    ...start,
    args: ['order-1', 2],
    signal: addItem,
    signalArgs: ['sku-1'],
  });
  void creator.signalWithStart(processOrder, {
    ...start,
    // @ts-expect-error a workflow argument of the wrong type
    args: ['order-1', '2'],
    signal: addItem,
    signalArgs: ['sku-1'],
  });
  void creator.signalWithStart(processOrder, {
    ...start,
    args: ['order-1', 2],
    signal: addItem,
    // @ts-expect-error a signal argument of the wrong type
    signalArgs: [7],
  });
}

async function compileOnlyResults(creator: WorkflowCreator): Promise<void> {
  const start = { workflowId: 'order-1', taskQueue: 'orders' };
  const started = await creator.start(processOrder, { ...start, args: ['order-1', 2] });
  expectTypeOf(started).toEqualTypeOf<StartOutcome<typeof processOrder>>();
  expectTypeOf(started.handle).toEqualTypeOf<WorkflowHandle<typeof processOrder>>();
  expectTypeOf(started.handle.result()).toEqualTypeOf<Promise<{ total: number }>>();
  expectTypeOf(started.runId).toBeString();

  const signaled = await creator.signalWithStart(processOrder, {
    ...start,
    args: ['order-1', 2],
    signal: addItem,
    signalArgs: ['sku-1'],
  });
  expectTypeOf(signaled.handle.result()).toEqualTypeOf<Promise<{ total: number }>>();
}

function compileOnlyNames(options: SupervisorOptions): void {
  const named = createSupervisor({
    creators: { orders: {}, payments: { failFast: true } },
    workers: { billing: { taskQueue: 'billing', activities: {} } },
  });
  expectTypeOf(named).toEqualTypeOf<Supervisor<'orders' | 'payments', 'billing'>>();
  named.creator('orders');
  // @ts-expect-error no creator 'ordres' is configured
  named.creator('ordres');
  named.restartWorker('billing');
  // @ts-expect-error no worker 'biling' is configured
  named.restartWorker('biling');

  // Names the compiler cannot know: any string, checked at run time.
  const dynamic = createSupervisor(options);
  expectTypeOf(dynamic.creator).parameter(0).toBeString();
  expectTypeOf(dynamic).toEqualTypeOf<Supervisor<string, string>>();

  // None configured: none can be asked for.
  const bare = createSupervisor({ address: 'localhost:7233' });
  // @ts-expect-error no creators at all
  bare.creator('orders');

  // A named supervisor is still a Supervisor for code that takes any (metrics, health, the inspector).
  const anySupervisor: Supervisor = named;
  void anySupervisor;

  // Option typos are still caught (the names are inferred without giving up excess-property checks).
  // @ts-expect-error 'adress' is not an option
  createSupervisor({ adress: 'localhost:7233', creators: { orders: {} } });
  // @ts-expect-error 'failfast' is not a creator option
  createSupervisor({ creators: { orders: { failfast: true } } });

  const typed: NamedSupervisorOptions<'a'> = { creators: { a: {} } };
  expectTypeOf(createSupervisor(typed).creator).parameter(0).toEqualTypeOf<'a'>();
}

describe('public types', () => {
  it('has the compile-time cases above (npm run typecheck checks them)', () => {
    expectTypeOf(compileOnlyStarts).toBeFunction();
    expectTypeOf(compileOnlyResults).toBeFunction();
    expectTypeOf(compileOnlyNames).toBeFunction();
  });

  it('refuses at run time the names the types refuse', async () => {
    const supervisor = createSupervisor({
      envConfig: false,
      connector: new FakeConnector(),
      reachabilityInterval: false,
      creators: { orders: {} },
    });
    try {
      expect(supervisor.creator('orders').name).toBe('orders');
      const untyped = supervisor as Supervisor;
      expect(() => untyped.creator('ordres')).toThrow(/No workflow creator named "ordres"/);
      expect(() => untyped.restartWorker('billing')).toThrow(/No worker named "billing"/);
    } finally {
      await supervisor.stop();
    }
  });
});
