/**
 * One way to validate options, used by every factory: each value is checked once, when the
 * factory is called, unknown keys are refused (a typo must not silently fall back to a default),
 * and every message names the factory and the option's full path, e.g.
 * `createStationFiles: delivery.maxRanges must be a whole number from 1 to 100`.
 */

type Plain = Record<string, unknown>;

/** Limits of a whole-number option. */
export interface IntegerRule {
  min: number;
  max: number;
}

const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads one options object of one factory (or a nested object of it). */
export class OptionsReader {
  private constructor(
    readonly factory: string,
    private readonly path: string,
    private readonly values: Plain,
  ) {}

  /**
   * Starts reading `value` (undefined reads as `{}`) for `factory`; throws a TypeError when it
   * is not an object or has a key outside `keys`.
   *
   * @example
   * const o = OptionsReader.of('createDelivery', options, ['cacheControl', 'maxRanges']);
   * const maxRanges = o.integer('maxRanges', { min: 1, max: 100 }, 1);
   */
  static of(factory: string, value: unknown, keys: readonly string[], path = ''): OptionsReader {
    const where = path === '' ? 'options' : path.slice(0, -1);
    if (value === undefined) return new OptionsReader(factory, path, {});
    if (!isPlain(value)) throw new TypeError(`${factory}: ${where} must be an object`);
    const unknown = Object.keys(value).find((k) => !keys.includes(k));
    if (unknown !== undefined) throw new TypeError(`${factory}: unknown option ${path}${unknown} (known: ${keys.join(', ')})`);
    return new OptionsReader(factory, path, value);
  }

  /** Throws the TypeError for `key`: `<factory>: <path.key> must be <expectation>`. */
  fail(key: string, expectation: string): never {
    throw new TypeError(`${this.factory}: ${this.path}${key} must be ${expectation}`);
  }

  /** The raw value of `key` (undefined when absent). */
  raw(key: string): unknown {
    return this.values[key];
  }

  /** True when `key` was given (not undefined). */
  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  /** A nested options object (undefined when absent), with its own known keys. */
  nested(key: string, keys: readonly string[]): OptionsReader {
    return OptionsReader.of(this.factory, this.values[key], keys, `${this.path}${key}.`);
  }

  /** A whole number within `rule`, or `fallback` when absent. */
  integer(key: string, rule: IntegerRule, fallback: number): number {
    const v = this.values[key] ?? fallback;
    if (!Number.isSafeInteger(v) || (v as number) < rule.min || (v as number) > rule.max) {
      this.fail(key, `a whole number from ${rule.min} to ${rule.max}`);
    }
    return v as number;
  }

  /** A whole number within `rule`, or undefined when absent. */
  optionalInteger(key: string, rule: IntegerRule): number | undefined {
    return this.has(key) ? this.integer(key, rule, 0) : undefined;
  }

  /** A boolean, or `fallback` when absent. */
  boolean(key: string, fallback: boolean): boolean {
    const v = this.values[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  /** A string matching `pattern` (described as `expectation` in the error), or `fallback` when absent. */
  string(key: string, pattern: RegExp, expectation: string, fallback: string): string {
    const v = this.values[key] ?? fallback;
    if (typeof v !== 'string' || !pattern.test(v)) this.fail(key, expectation);
    return v;
  }

  /** A function, or undefined when absent. */
  optionalFunction<F extends (...args: never[]) => unknown>(key: string): F | undefined {
    const v = this.values[key];
    if (v !== undefined && typeof v !== 'function') this.fail(key, 'a function');
    return v as F | undefined;
  }
}
