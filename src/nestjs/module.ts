/**
 * `TemporalSupervisorModule`: a supervisor as NestJS providers. Written without decorators and with types only
 * from `@nestjs/common`: dynamic modules of factory providers with explicit `inject` tokens need neither
 * `experimentalDecorators` nor `emitDecoratorMetadata`, so this folder compiles with the rest of the package, and
 * nothing of Nest is loaded by it (the application's Nest is the one that reads these objects).
 */
import type { DynamicModule, FactoryProvider, ModuleMetadata, Provider } from '@nestjs/common';
import { SupervisorOptionsError } from '../errors.js';
import { duration } from '../options/check.js';
import type { Duration, SupervisorOptions } from '../options/types.js';
import { createSupervisor, Supervisor } from '../supervisor/supervisor.js';
import { TemporalSupervisorHealthIndicator } from './health.js';
import {
  creatorToken,
  TEMPORAL_SUPERVISOR,
  TEMPORAL_SUPERVISOR_HEALTH,
  TEMPORAL_SUPERVISOR_MODULE_OPTIONS,
} from './tokens.js';

export interface TemporalSupervisorModuleOptions {
  /** The supervisor's options, as `createSupervisor` takes them. */
  supervisor: SupervisorOptions;
  /**
   * At application shutdown, how long readiness fails (the health indicator and `healthOf` say not ready)
   * before Nest closes the HTTP server; the supervisor stops after the server closed. Use it when Nest serves
   * the readiness probe itself and has `enableShutdownHooks()`. @default 0
   */
  readinessDelay?: Duration;
}

export interface TemporalSupervisorModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Builds the module's options from the injected `inject` values (e.g. a ConfigService). */
  useFactory: (
    ...args: never[]
  ) => TemporalSupervisorModuleOptions | Promise<TemporalSupervisorModuleOptions>;
  inject?: FactoryProvider['inject'];
  /**
   * The names of the creators the options will configure, to make their `creatorToken(name)` providers (the
   * options are not known before the factory runs). Each must be configured by the factory.
   */
  creators?: readonly string[];
  /** Whether the providers are visible to every module without importing this one. @default false */
  isGlobal?: boolean;
}

/** `register`'s argument: the module options, and whether it is global. */
export interface TemporalSupervisorModuleRegistration extends TemporalSupervisorModuleOptions {
  /** @default false */
  isGlobal?: boolean;
}

/** What the module's lifecycle provider does; Nest calls these hooks on it. */
class SupervisorLifecycle {
  #stopped: Promise<void> | undefined;
  #serverClosed: (() => void) | undefined;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly readinessDelayMs: number,
  ) {}

  /** Connects once the modules are initialized (creators wait for the connection, bounded by their deadline). */
  onModuleInit(): void {
    this.supervisor.start();
  }

  /** Before Nest closes the HTTP server: readiness off, and the delay, while requests are still served. */
  beforeApplicationShutdown(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.#serverClosed = resolve;
    });
    let delayed!: () => void;
    const delay = new Promise<void>((resolve) => {
      delayed = resolve;
    });
    this.#stopped = this.supervisor.shutdown({
      readinessDelay: this.readinessDelayMs,
      beforeStop: () => {
        delayed();
        return closed;
      },
    });
    // A stop() made elsewhere skips beforeStop: do not wait for a delay that will not end.
    void this.#stopped.finally(delayed);
    return delay;
  }

  /** After Nest closed the HTTP server (the requests it served are answered): the supervisor stops. */
  onApplicationShutdown(): Promise<void> {
    this.#serverClosed?.();
    return this.#stopped ?? this.supervisor.stop();
  }

  toJSON(): { lifecycle: 'temporal-supervisor' } {
    return { lifecycle: 'temporal-supervisor' };
  }
}

const LIFECYCLE = Symbol.for('temporal-supervisor.nestjs.lifecycle');

/** The NestJS module; use `register` or `registerAsync`. */
export class TemporalSupervisorModule {
  /**
   * The supervisor from options known now. Provides `TEMPORAL_SUPERVISOR` (also as the `Supervisor` class
   * token), `creatorToken(name)` for each configured creator, and `TEMPORAL_SUPERVISOR_HEALTH`.
   * @throws {SupervisorOptionsError} on bad options, at registration.
   */
  static register(registration: TemporalSupervisorModuleRegistration): DynamicModule {
    checkRegistration(registration, 'register');
    const { isGlobal, ...options } = registration;
    const creators = Object.keys(options.supervisor.creators ?? {});
    return moduleOf(
      { provide: TEMPORAL_SUPERVISOR_MODULE_OPTIONS, useValue: options },
      creators,
      isGlobal,
      [],
    );
  }

  /** The supervisor from options a factory makes (from a ConfigService, …); see `creators` for their tokens. */
  static registerAsync(registration: TemporalSupervisorModuleAsyncOptions): DynamicModule {
    if (typeof registration?.useFactory !== 'function') {
      throw new SupervisorOptionsError(
        'useFactory',
        'TemporalSupervisorModule.registerAsync: expected `useFactory` to be a function returning { supervisor: { … } }. Pass `useFactory: (config) => ({ supervisor: { address: config.get(…) } })` with `inject: [ConfigService]`.',
      );
    }
    const options: FactoryProvider = {
      provide: TEMPORAL_SUPERVISOR_MODULE_OPTIONS,
      useFactory: async (...args: never[]) => {
        const made = await registration.useFactory(...args);
        checkRegistration(made, 'registerAsync');
        return made;
      },
      inject: registration.inject ?? [],
    };
    return moduleOf(options, registration.creators ?? [], registration.isGlobal, registration.imports ?? []);
  }
}

function moduleOf(
  options: Provider,
  creators: readonly string[],
  isGlobal: boolean | undefined,
  imports: NonNullable<ModuleMetadata['imports']>,
): DynamicModule {
  const providers: Provider[] = [
    options,
    {
      provide: TEMPORAL_SUPERVISOR,
      useFactory: (resolved: TemporalSupervisorModuleOptions) => createSupervisor(resolved.supervisor),
      inject: [TEMPORAL_SUPERVISOR_MODULE_OPTIONS],
    },
    { provide: Supervisor, useExisting: TEMPORAL_SUPERVISOR },
    {
      provide: LIFECYCLE,
      useFactory: (supervisor: Supervisor, resolved: TemporalSupervisorModuleOptions) =>
        new SupervisorLifecycle(supervisor, duration('readinessDelay', resolved.readinessDelay, 0, 0)),
      inject: [TEMPORAL_SUPERVISOR, TEMPORAL_SUPERVISOR_MODULE_OPTIONS],
    },
    {
      provide: TEMPORAL_SUPERVISOR_HEALTH,
      useFactory: (supervisor: Supervisor) => new TemporalSupervisorHealthIndicator(supervisor),
      inject: [TEMPORAL_SUPERVISOR],
    },
    ...creators.map((name) => ({
      provide: creatorToken(name),
      useFactory: (supervisor: Supervisor) => supervisor.creator(name),
      inject: [TEMPORAL_SUPERVISOR],
    })),
  ];
  return {
    module: TemporalSupervisorModule,
    global: isGlobal ?? false,
    imports,
    providers,
    exports: [TEMPORAL_SUPERVISOR, Supervisor, TEMPORAL_SUPERVISOR_HEALTH, ...creators.map(creatorToken)],
  };
}

function checkRegistration(value: unknown, method: 'register' | 'registerAsync'): void {
  const given = value as Partial<TemporalSupervisorModuleRegistration> | undefined;
  if (
    typeof given !== 'object' ||
    given === null ||
    typeof given.supervisor !== 'object' ||
    given.supervisor === null
  ) {
    throw new SupervisorOptionsError(
      'supervisor',
      `TemporalSupervisorModule.${method}: expected { supervisor: { …createSupervisor options } }, received ${
        given === null || typeof given !== 'object'
          ? String(given)
          : `keys ${Object.keys(given).join(', ') || 'none'}`
      }. Pass e.g. { supervisor: { address: 'localhost:7233', creators: { orders: {} } } }.`,
    );
  }
  duration('readinessDelay', given.readinessDelay, 0, 0);
}
