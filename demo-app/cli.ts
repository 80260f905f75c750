/**
 * The demo panel's command line:  npm run cli -- <command> [options]   (see `help`).
 * Works on DATA_DIR/panel.db next to a running server (WAL, busy timeout), or on PostgreSQL when
 * DATABASE_URL is set (the same database the panel instances share). With --json a command
 * prints exactly one JSON document on stdout; messages go to stderr, one line each; exit status
 * 0 ok, 1 failure, 2 usage error, 130 interrupted.
 */
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from './cli/api-key';
import type { Command } from './cli/command';
import { createContext } from './cli/context';
import { downloads } from './cli/downloads';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine, usageError } from './cli/errors';
import { files } from './cli/files';
import { grant } from './cli/grant';
import { commandHelp, usageText } from './cli/help';
import { importFile } from './cli/import';
import { stations } from './cli/stations';
import { userAdd } from './cli/user';

export const COMMANDS: readonly Command[] = [stations, userAdd, grant, apiKeyCreate, apiKeyList, apiKeyRevoke, importFile, files, downloads];

const PROGRAM = 'cli';
const GLOBAL_FLAGS = new Set(['--json', '--help', '-h']);

const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const emit = (json: boolean, doc: unknown, text: string): void => out(json ? JSON.stringify(doc, null, 2) : text);

/** The command named by the leading words of `args`, or a usage error that says what exists. */
function findCommand(args: readonly string[]): Command {
  const [first, second] = args;
  const group = COMMANDS.filter((c) => c.words[0] === first);
  if (group.length === 0) throw usageError(`unknown command "${first}" (commands: ${[...new Set(COMMANDS.map((c) => c.words[0]))].join(', ')}, help)`);
  const match = group.find((c) => c.words.every((w, i) => args[i] === w));
  if (match) return match;
  const subs = group.map((c) => c.words[1]).join(', ');
  throw usageError(
    second === undefined || second.startsWith('-') ? `"${first}" needs a subcommand (${subs})` : `unknown subcommand "${first} ${second}" (${first}: ${subs})`,
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  // Global flags may come before the command: `cli --json stations`.
  let i = 0;
  let json = false;
  let help = false;
  while (i < argv.length && GLOBAL_FLAGS.has(argv[i] as string)) {
    if (argv[i] === '--json') json = true;
    else help = true;
    i++;
  }
  const rest = argv.slice(i);
  if (rest.length === 0 || rest[0] === 'help') {
    if (rest.length === 0 && !help) throw usageError('no command given');
    const words = rest.slice(1).filter((a) => {
      if (a === '--json') json = true;
      return !GLOBAL_FLAGS.has(a);
    });
    const about = words.length > 0 ? findCommand(words) : undefined;
    const text = about ? commandHelp(about) : usageText(COMMANDS);
    emit(json, { usage: text }, text);
    return 0;
  }
  const command = findCommand(rest);
  const prepared = command.prepare(rest.slice(command.words.length));
  json ||= prepared.json;
  if (help || prepared.help) {
    const text = commandHelp(command);
    emit(json, { usage: text }, text);
    return 0;
  }
  const ctx = createContext(process.env);
  try {
    const result = await prepared.run(ctx);
    emit(json, result.json, result.text);
  } finally {
    await ctx.close();
  }
  return 0;
}

if (require.main === module) {
  // A reader that went away (`| head`) is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`${PROGRAM}: stdout: ${oneLine(err)}\n`);
    process.exit(EXIT_FAILURE);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof CliError) {
        const hint = err.exitCode === EXIT_USAGE ? (err.usage ? ` (usage: ${err.usage})` : ' (try "help")') : '';
        process.stderr.write(`${PROGRAM}: ${oneLine(err)}${hint}\n`);
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(`${PROGRAM}: ${oneLine(err)}\n`);
        process.exitCode = EXIT_FAILURE;
      }
    },
  );
}
