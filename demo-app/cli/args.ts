/**
 * Option parsing on node:util parseArgs (its tokens), with our own checks so every mistake is
 * one clear line: `--key value`, `--key=value`, `--flag`; no positionals, no repeats, and a
 * value that looks like an option (`--email --password x`) is refused unless written `--key=-v`.
 */
import { parseArgs } from 'node:util';
import { usageError } from './errors';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly required?: boolean;
  readonly short?: string;
}
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

type ValueOf<O extends OptionSpec> = O['type'] extends 'boolean' ? boolean : O extends { required: true } ? string : string | undefined;
export type OptionValues<S extends OptionSpecs> = { [K in keyof S]: ValueOf<S[K]> };

/**
 * Parses `args` against `specs` (plus --json and --help). Throws a usage error naming the
 * problem; `usage` is attached to it. Required options are only enforced without --help.
 */
export function parseOptions<S extends OptionSpecs>(args: readonly string[], specs: S, usage: string): OptionValues<S & typeof GLOBAL_OPTIONS> {
  const all: OptionSpecs = { ...GLOBAL_OPTIONS, ...specs };
  const fail = (message: string) => usageError(message, usage);
  const parseSpec: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(all)) parseSpec[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };

  const { tokens } = parseArgs({ args: [...args], options: parseSpec, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') throw fail(`unexpected argument "${token.value}"`);
    const spec = Object.hasOwn(all, token.name) ? all[token.name] : undefined;
    if (!spec) throw fail(`unknown option ${token.rawName}`);
    const name = `--${token.name}`;
    if (Object.hasOwn(values, token.name)) throw fail(`${name} given more than once`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw fail(`${name} takes no value`);
      values[token.name] = true;
    } else {
      if (token.value === undefined) throw fail(`${name} needs a value`);
      if (!token.inlineValue && token.value.startsWith('-') && token.value !== '-') {
        throw fail(`${name} needs a value (got option-like "${token.value}"; write ${name}=${token.value} if that is the value)`);
      }
      values[token.name] = token.value;
    }
  }
  for (const [name, spec] of Object.entries(all)) {
    if (spec.type === 'boolean') values[name] ??= false;
    else if (spec.required && values[name] === undefined && values.help !== true) throw fail(`missing required option --${name}`);
  }
  return values as OptionValues<S & typeof GLOBAL_OPTIONS>;
}
