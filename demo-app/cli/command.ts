/** The shape every command module exports, and `defineCommand`, which ties its options to `run`. */
import { parseOptions, type OptionSpecs, type OptionValues, type GLOBAL_OPTIONS } from './args';
import type { Context } from './context';
import type { Output } from './output';

export interface Prepared {
  json: boolean;
  help: boolean;
  run(ctx: Context): Promise<Output>;
}

export interface Command {
  /** The words that name it: ['stations'], ['user', 'add']. */
  readonly words: readonly string[];
  /** Synopsis: `user add --email E --password P [--name N] [--global-admin]`. */
  readonly usage: string;
  readonly summary: string;
  /** Parses the arguments after the command words; throws a usage error (exit 2). */
  prepare(args: readonly string[]): Prepared;
}

export function defineCommand<S extends OptionSpecs>(def: {
  words: readonly string[];
  usage: string;
  summary: string;
  options: S;
  run(values: OptionValues<S & typeof GLOBAL_OPTIONS>, ctx: Context): Output | Promise<Output>;
}): Command {
  return {
    words: def.words,
    usage: def.usage,
    summary: def.summary,
    prepare(args) {
      const values = parseOptions(args, def.options, def.usage);
      return { json: values.json === true, help: values.help === true, run: async (ctx) => def.run(values, ctx) };
    },
  };
}
