/**
 * Issue 16 item 3: the renewal of a connection whose frontend is draining (src/temporal/renewal.ts), with fake
 * connections. From docs/connection.md ("Planned restarts"): up to 3 fresh connections, each closed unless it
 * answers SERVING; none within the deadline means the probe fails as before; a replaced connection is closed
 * after RETIRE_AFTER_MS, or at once when the live connection closes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SupervisedConnection } from '../../src/temporal/channel.js';
import { RETIRE_AFTER_MS, Renewal } from '../../src/temporal/renewal.js';

function fake(name: string) {
  const connection = { name, closed: 0, closeQuietly: async () => void connection.closed++ };
  return connection;
}
type Fake = ReturnType<typeof fake>;
const as = (connection: Fake) => connection as unknown as SupervisedConnection;

afterEach(() => vi.useRealTimers());

describe('Renewal', () => {
  it('tries fresh connections until one is SERVING, closing the others', async () => {
    const opened: Fake[] = [];
    const renewal = new Renewal(
      async () => {
        const connection = fake(`c${opened.length}`);
        opened.push(connection);
        return as(connection);
      },
      async (connection) => (connection as unknown as Fake).name === 'c1',
    );
    const found = await renewal.find(Date.now() + 1_000, new AbortController().signal);
    expect((found as unknown as Fake).name).toBe('c1');
    expect(opened.map((c) => c.closed)).toEqual([1, 0]);
    expect(renewal.count).toBe(1);
  });

  it('gives up after 3 tries (each closed), or when opening fails every time', async () => {
    const opened: Fake[] = [];
    const notServing = new Renewal(
      async () => {
        const connection = fake('x');
        opened.push(connection);
        return as(connection);
      },
      async () => false,
    );
    expect(await notServing.find(Date.now() + 1_000, new AbortController().signal)).toBeUndefined();
    expect(opened.map((c) => c.closed)).toEqual([1, 1, 1]);
    expect(notServing.count).toBe(0);
    let attempts = 0;
    const refused = new Renewal(
      async () => {
        attempts++;
        throw new Error('UNAVAILABLE');
      },
      async () => true,
    );
    expect(await refused.find(Date.now() + 1_000, new AbortController().signal)).toBeUndefined();
    expect(attempts).toBe(3);
  });

  it('does not try past the deadline or after the abort', async () => {
    let attempts = 0;
    const renewal = new Renewal(
      async () => {
        attempts++;
        return as(fake('x'));
      },
      async () => true,
    );
    expect(await renewal.find(Date.now() - 1, new AbortController().signal)).toBeUndefined();
    const aborted = new AbortController();
    aborted.abort();
    expect(await renewal.find(Date.now() + 1_000, aborted.signal)).toBeUndefined();
    expect(attempts).toBe(0);
  });

  it('closes a replaced connection after RETIRE_AFTER_MS, or at closeAll', async () => {
    vi.useFakeTimers();
    const renewal = new Renewal(
      async () => as(fake('x')),
      async () => true,
    );
    const old = fake('old');
    renewal.retire(as(old));
    await vi.advanceTimersByTimeAsync(RETIRE_AFTER_MS - 1);
    expect(old.closed).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(old.closed).toBe(1);
    const other = fake('other');
    renewal.retire(as(other));
    await renewal.closeAll();
    expect(other.closed).toBe(1);
    await vi.advanceTimersByTimeAsync(RETIRE_AFTER_MS);
    expect(other.closed).toBe(1);
  });
});
