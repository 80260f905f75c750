/**
 * The CLI's failures: a one-line message and an exit status. `usage` (2) is for command lines
 * that are wrong whatever the database holds (unknown command or option, missing or malformed
 * value); `failure` (1) for everything that depends on state (unknown station or user, missing
 * file, duplicate email, storage or database errors).
 */

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT, as shells report an interrupted command. */
export const EXIT_INTERRUPTED = 130;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command-line mistake (exit 2); `usage` is the command's synopsis, shown after the message. */
export const usageError = (message: string, usage?: string): CliError => new CliError(message, EXIT_USAGE, usage);

/** A failure at run time (exit 1). */
export const failure = (message: string): CliError => new CliError(message, EXIT_FAILURE);

/** An error's message on one line (SDK and SQLite messages can span lines or be empty). */
export function oneLine(err: unknown): string {
  const e = err as { message?: unknown; name?: unknown; code?: unknown } | null | undefined;
  const message =
    typeof e?.message === 'string' && e.message.trim() !== ''
      ? e.message
      : typeof e?.code === 'string'
        ? e.code
        : typeof e?.name === 'string'
          ? e.name
          : String(err);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
