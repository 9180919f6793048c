import type { Readable } from 'node:stream';

/**
 * Calls `onEvent` with each line of `stream` parsed as JSON (a child process's event stream: one object per
 * line, a line possibly split across chunks). Blank lines are skipped; a line that is not JSON is skipped too,
 * unless `strict`, where it throws (a test wants to hear of it).
 */
export function onJsonLines(
  stream: Readable | null | undefined,
  onEvent: (event: Record<string, unknown>) => void,
  { strict = false }: { strict?: boolean } = {},
): void {
  let buffer = '';
  stream?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        if (strict) throw error;
        continue;
      }
      onEvent(event);
    }
  });
}
