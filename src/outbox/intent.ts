import { randomUUID } from 'node:crypto';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { OutboxInputError } from './errors.js';
import type { StartIntent, StoredIntent } from './types.js';

/** The server's default blob size limit (`limit.blobSize.error`): 2 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'memo',
  'retry',
  'workflowExecutionTimeout',
  'workflowRunTimeout',
  'workflowTaskTimeout',
  'startDelay',
  'cronSchedule',
  'workflowIdReusePolicy',
  'workflowIdConflictPolicy',
]);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'null-prototype object'}`;
  return `a ${typeof value}`;
}

/**
 * Finds the first value that JSON would not carry back unchanged (the payload is stored as JSON and
 * converted by Temporal's default JSON converter): returns its path and what it is, or undefined.
 */
export function findUnserializable(
  value: unknown,
  path: string,
  seen = new Set<object>(),
): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value} (JSON has no NaN or Infinity)`;
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} refers back to itself (a cycle)`;
      const proto = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null)
        return `${path} is ${describe(value)} (only plain objects, arrays, strings, finite numbers, booleans and null)`;
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            const found = findUnserializable(value[i], `${path}[${i}]`, seen);
            if (found) return found;
          }
          return undefined;
        }
        for (const [key, item] of Object.entries(value)) {
          const found = findUnserializable(item, `${path}.${key}`, seen);
          if (found) return found;
        }
        return undefined;
      } finally {
        seen.delete(value);
      }
    }
    default:
      return `${path} is ${describe(value)} (JSON cannot carry it)`;
  }
}

const DURATION_KEYS = [
  'workflowExecutionTimeout',
  'workflowRunTimeout',
  'workflowTaskTimeout',
  'startDelay',
] as const;

/** A start option the SDK would refuse at dispatch is refused now, while the caller can still fix it. */
function requireDuration(value: unknown, field: string): void {
  let ms = Number.NaN;
  try {
    ms = typeof value === 'string' || typeof value === 'number' ? msToNumber(value as never) : Number.NaN;
  } catch {
    // reported below
  }
  if (!(Number.isFinite(ms) && ms >= 0)) {
    throw new OutboxInputError(
      `Expected \`${field}\` to be a duration ('30s', '1 day', or milliseconds), got ${JSON.stringify(value)}.`,
      field,
    );
  }
}

function requireText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new OutboxInputError(
      `Expected \`${field}\` to be a non-empty string of at most ${max} characters, got ${typeof value === 'string' ? `${value.length} characters` : describe(value)}.`,
      field,
    );
  }
  return value;
}

/** Validates an intent and serializes its payload; throws `OutboxInputError` naming the field and the fix. */
export function toStoredIntent(intent: StartIntent, maxPayloadBytes: number): StoredIntent {
  if (intent === null || typeof intent !== 'object') {
    throw new OutboxInputError(
      `Expected the intent to be an object { workflowType, workflowId, taskQueue, args? }, got ${describe(intent)}.`,
      'intent',
    );
  }
  const id = intent.id === undefined ? randomUUID() : requireText(intent.id, 'id', 255);
  const workflowType = requireText(intent.workflowType, 'workflowType', 1000);
  const workflowId = requireText(intent.workflowId, 'workflowId', 1000);
  const taskQueue = requireText(intent.taskQueue, 'taskQueue', 1000);
  const args = intent.args ?? [];
  if (!Array.isArray(args)) {
    throw new OutboxInputError(
      `Expected \`args\` to be an array of JSON values, got ${describe(args)}.`,
      'args',
    );
  }
  const options = intent.options ?? {};
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new OutboxInputError(
        `Unknown intent option \`options.${key}\`; the outbox carries: ${[...OPTION_KEYS].join(', ')}.`,
        `options.${key}`,
      );
    }
  }
  for (const key of DURATION_KEYS) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) requireDuration(value, `options.${key}`);
  }
  for (const key of ['initialInterval', 'maximumInterval'] as const) {
    const value = options.retry?.[key];
    if (value !== undefined) requireDuration(value, `options.retry.${key}`);
  }
  const problem = findUnserializable(args, 'args') ?? findUnserializable(options, 'options');
  if (problem) {
    const field = problem.split(' ')[0] as string;
    throw new OutboxInputError(
      `The intent's ${problem}: an intent is stored as JSON, so its args and options must be JSON values. Convert it (a Date to an ISO string, a BigInt to a string) before enqueueing.`,
      field,
    );
  }
  const payload = JSON.stringify({ args, options });
  const bytes = Buffer.byteLength(payload);
  if (bytes > maxPayloadBytes) {
    throw new OutboxInputError(
      `The intent's args and options take ${bytes} bytes as JSON, more than maxPayloadBytes (${maxPayloadBytes}, the server's default blob size limit). Store large data elsewhere and pass a reference.`,
      'args',
    );
  }
  return { id, workflowType, workflowId, taskQueue, payload };
}
