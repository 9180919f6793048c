import type { FailureInfo } from '../../machines/failure.js';

/**
 * Removes every known secret (API key, TLS private key, authorization metadata) from a string. Every
 * occurrence of every secret is marked first and overlapping or touching marks are merged, so that two
 * overlapping secrets leave nothing of either. Secrets shorter than 4 characters are not scrubbed (they
 * would mangle ordinary text).
 */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const usable = [...new Set(secrets.filter((s) => s.length >= 4))];
  if (usable.length === 0) return (text) => text;
  return (text) => {
    const ranges: [number, number][] = [];
    for (const secret of usable) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
        ranges.push([at, at + secret.length]);
      }
    }
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0]);
    let out = '';
    let cursor = 0;
    let open: [number, number] | undefined;
    for (const range of ranges) {
      if (open && range[0] <= open[1]) open[1] = Math.max(open[1], range[1]);
      else {
        if (open) {
          out += `${text.slice(cursor, open[0])}[REDACTED]`;
          cursor = open[1];
        }
        open = [range[0], range[1]];
      }
    }
    if (open) out += `${text.slice(cursor, open[0])}[REDACTED]`;
    return out + text.slice(open ? open[1] : cursor);
  };
}

/** A failure with every secret scrubbed from its message. */
export function redactFailure(failure: FailureInfo, redact: (text: string) => string): FailureInfo {
  const message = redact(failure.message);
  return message === failure.message ? failure : { ...failure, message };
}
