/**
 * Injection tokens of `temporal-supervisor/nestjs`. Registered symbols (`Symbol.for`), so that two copies of the
 * package in one application (say its ESM and CommonJS builds) still agree on them.
 */

/** The `Supervisor`: `constructor(@Inject(TEMPORAL_SUPERVISOR) private readonly supervisor: Supervisor)`. */
export const TEMPORAL_SUPERVISOR: unique symbol = Symbol.for('temporal-supervisor.nestjs.supervisor');

/** The module's resolved options (internal to the module's providers). */
export const TEMPORAL_SUPERVISOR_MODULE_OPTIONS: unique symbol = Symbol.for(
  'temporal-supervisor.nestjs.options',
);

/** The health indicator: `@Inject(TEMPORAL_SUPERVISOR_HEALTH)`. */
export const TEMPORAL_SUPERVISOR_HEALTH: unique symbol = Symbol.for('temporal-supervisor.nestjs.health');

/**
 * The token of the workflow creator configured under `name`:
 * `constructor(@Inject(creatorToken('orders')) private readonly orders: WorkflowCreator)`.
 */
export function creatorToken(name: string): symbol {
  return Symbol.for(`temporal-supervisor.nestjs.creator:${name}`);
}
