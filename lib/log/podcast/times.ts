/**
 * Date.parse for a log's `at` strings, which come in time order and share their minute with the
 * events around them: the same string again costs a comparison, and a string of a minute already
 * parsed costs reading seven characters. Only the canonical form `YYYY-MM-DDTHH:MM:SS.sssZ` (what
 * toISOString writes) takes the shortcut; anything else goes to Date.parse, so results are the same.
 */

const CANONICAL_MINUTE = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:$/;
const MINUTE_CHARS = 17;

const digit = (s: string, i: number): number => s.charCodeAt(i) - 48;
/** Where the digits of `SS.sss` are. */
const TAIL_DIGITS = [17, 18, 20, 21, 22] as const;

/** Milliseconds into the minute of a canonical string's `SS.sssZ` tail; -1 when it is not that. */
function tail(at: string): number {
  if (at.length !== MINUTE_CHARS + 7 || at.charCodeAt(19) !== 46 || at.charCodeAt(23) !== 90) return -1; // '.', 'Z'
  let ms = 0;
  for (let k = 0; k < TAIL_DIGITS.length; k += 1) {
    const d = digit(at, TAIL_DIGITS[k] as number);
    if (d < 0 || d > 9) return -1;
    ms = ms * 10 + d;
  }
  return ms < 60_000 ? ms : -1; // SS above 59 is not a time
}

export class TimeParser {
  private last = '';
  private lastTime = Number.NaN;
  private minute = '';
  private minuteStart = Number.NaN;

  parse(at: string): number {
    if (at === this.last) return this.lastTime;
    this.last = at;
    this.lastTime = this.fresh(at);
    return this.lastTime;
  }

  private fresh(at: string): number {
    const ms = tail(at);
    if (ms >= 0 && this.minute !== '' && at.startsWith(this.minute)) return this.minuteStart + ms;
    const t = Date.parse(at);
    if (ms >= 0 && !Number.isNaN(t) && CANONICAL_MINUTE.test(at.slice(0, MINUTE_CHARS))) {
      this.minute = at.slice(0, MINUTE_CHARS);
      this.minuteStart = t - ms;
    }
    return t;
  }
}
