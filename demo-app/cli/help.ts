/** The usage text: every command's synopsis and summary, and the environment the CLI reads. */
import type { Command } from './command';

export function usageText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.words.join(' ').length));
  return [
    'usage: npm run cli -- <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  this text (also --help; "help <command>" or "<command> --help" for one command)`,
    '',
    'synopsis:',
    ...commands.map((c) => `  ${c.usage}`),
    '',
    'options for every command:',
    '  --json       print exactly one JSON document on stdout (diagnostics go to stderr)',
    '  -h, --help   show usage',
    '',
    'Values: --key value or --key=value (use --key=-x for a value starting with "-").',
    'Environment: DATA_DIR (the database is DATA_DIR/panel.db; default demo-app/data),',
    '  DATABASE_URL (postgres://…: use that PostgreSQL database instead, as the panel does),',
    '  S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE, S3_KINDS.',
    'Exit status: 0 ok, 1 failure (unknown station/user/podcast, missing file, duplicate, storage or database error),',
    '  2 usage error (unknown command/option, missing or malformed value), 130 interrupted.',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return `usage: npm run cli -- ${command.usage}\n\n${command.summary}`;
}
