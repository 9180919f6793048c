/**
 * The command line's exit codes, in one place: the commands, their `--help` and docs/cli.md all read them
 * from here.
 */
export const EXIT = {
  /** `wait`: ready. `check`: serving. Help or diagram printed. */
  ok: 0,
  /** `wait`: not ready before `--timeout`. `check`: not serving (whatever the reason, usage errors included). */
  failed: 1,
  /** A bad command line (unknown flag, bad value): nothing was tried. Not used by `check` (see below). */
  usage: 2,
  /**
   * `wait`: a misconfiguration that waiting cannot fix (TLS mismatch, rejected credentials, unreadable
   * config or certificate file, unknown profile): it exits at once instead of waiting out `--timeout`.
   */
  misconfigured: 3,
  /** Interrupted by SIGINT (128 + 2), as shells report it. */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15). */
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
