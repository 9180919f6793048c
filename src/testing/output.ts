/**
 * The output of a harness process, kept so that an error can show its cause: the first lines (where a Go
 * panic or a bad flag says what went wrong) and the last ones (where the process was when it died), never
 * all of it.
 */
export class ProcessOutput {
  readonly #head: string[] = [];
  readonly #tail: string[] = [];
  readonly #headSize: number;
  readonly #tailSize: number;
  #count = 0;

  constructor({ head = 20, tail = 200 }: { head?: number; tail?: number } = {}) {
    this.#headSize = head;
    this.#tailSize = tail;
  }

  /** Lines seen since the last {@link clear}. */
  get count(): number {
    return this.#count;
  }

  push(line: string): void {
    this.#count++;
    if (this.#head.length < this.#headSize) this.#head.push(line);
    this.#tail.push(line);
    if (this.#tail.length > this.#tailSize) this.#tail.shift();
  }

  clear(): void {
    this.#head.length = 0;
    this.#tail.length = 0;
    this.#count = 0;
  }

  /** The last `lines` lines, joined. */
  tail(lines = 40): string {
    return this.#tail.slice(-lines).join('\n');
  }

  /**
   * The first lines and the last `lastLines`, without repeating a line and saying how many were left out in
   * between; `(no output)` if there was none.
   */
  describe(lastLines = 40): string {
    if (this.#count === 0) return '(no output)';
    const last = this.#tail.slice(-lastLines);
    const firstOfLast = this.#count - last.length; // index of last[0] in the whole output
    const head = this.#head.slice(0, Math.min(this.#head.length, firstOfLast));
    if (head.length === 0) return last.join('\n');
    const omitted = firstOfLast - head.length;
    const gap = omitted > 0 ? [`[… ${omitted} line${omitted === 1 ? '' : 's'} left out …]`] : [];
    return [...head, ...gap, ...last].join('\n');
  }
}
