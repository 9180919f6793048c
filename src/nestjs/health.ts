import { type HealthOptions, type HealthReport, healthOf } from '../health.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** A `@nestjs/terminus` indicator result: `{ [key]: { status, …details } }`. */
export type SupervisorHealthResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'down' } & Omit<HealthReport, 'children'> & { children: Record<string, string> }
>;

/**
 * The supervisor as a `@nestjs/terminus` health indicator, written to terminus's result shape so that it needs
 * nothing of terminus at run time:
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.temporal.isHealthy('temporal')]); }
 * ```
 *
 * Down answers (terminus then replies 503) are results with `status: 'down'`, as terminus 10+'s
 * `HealthIndicatorService` makes them; the details are `healthOf(supervisor)`, secret-free.
 */
export class TemporalSupervisorHealthIndicator {
  readonly #supervisor: Supervisor;

  constructor(supervisor: Supervisor) {
    this.#supervisor = supervisor;
  }

  /**
   * `check` 'ready' (default: connected, or degraded if `readyWhenDegraded`, and not shutting down) for a
   * readiness endpoint, 'live' (no child given up) for a liveness one.
   */
  isHealthy<Key extends string>(
    key: Key,
    options: HealthOptions & { check?: 'ready' | 'live' } = {},
  ): Promise<SupervisorHealthResult<Key>> {
    const check = options.check ?? 'ready';
    if (check !== 'ready' && check !== 'live') {
      return Promise.reject(
        new TypeError(`isHealthy: expected check 'ready' or 'live', received ${JSON.stringify(check)}`),
      );
    }
    const report = healthOf(this.#supervisor, options);
    const result = { status: report[check] ? 'up' : 'down', ...report } as const;
    return Promise.resolve({ [key]: result } as SupervisorHealthResult<Key>);
  }

  toJSON(): { indicator: 'temporal-supervisor' } {
    return { indicator: 'temporal-supervisor' };
  }
}
