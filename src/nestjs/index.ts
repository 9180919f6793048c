/**
 * `temporal-supervisor/nestjs`: the NestJS module (`@nestjs/common` and `@nestjs/core` as optional peers; this
 * entry loads neither). See docs/nestjs.md.
 */
export {
  type SupervisorHealthResult,
  TemporalSupervisorHealthIndicator,
} from './health.js';
export {
  TemporalSupervisorModule,
  type TemporalSupervisorModuleAsyncOptions,
  type TemporalSupervisorModuleOptions,
  type TemporalSupervisorModuleRegistration,
} from './module.js';
export {
  creatorToken,
  TEMPORAL_SUPERVISOR,
  TEMPORAL_SUPERVISOR_HEALTH,
  TEMPORAL_SUPERVISOR_MODULE_OPTIONS,
} from './tokens.js';
