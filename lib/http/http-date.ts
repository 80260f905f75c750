/**
 * HTTP-date parsing (RFC 9110 5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms a
 * recipient must accept, all in GMT. Anything else is not a date (Date.parse would take `0` or
 * `3000` for years, and read asctime in the server's local time zone).
 */
import { trimOws } from './whitespace';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MON = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF = new RegExp(`^${DAY}, (\\d{2}) ${MON} (\\d{4}) ${TIME} GMT$`);
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MON}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MON} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function toSeconds(year: number, month: string, day: number, h: number, m: number, s: number): number | undefined {
  const mon = MONTHS.indexOf(month);
  if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  // setUTCFullYear, because Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, mon, day);
  date.setUTCHours(h, m, Math.min(s, 59), 0);
  const t = date.getTime();
  // Reject dates that roll over (31 Feb).
  if (new Date(t).getUTCDate() !== day) return undefined;
  return t / 1000;
}

/**
 * Seconds since the epoch of an HTTP-date, or `undefined` when the value is not one.
 *
 * @example
 * parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT') // 784111777
 * parseHttpDate('Sun Nov  6 08:49:37 1994')      // 784111777 (asctime, GMT)
 * parseHttpDate('3000')                           // undefined
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = trimOws(value);
  let m = IMF.exec(v);
  if (m) return toSeconds(Number(m[3]), m[2] as string, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850.exec(v);
  if (m) {
    // RFC 9110 5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const yy = Number(m[3]);
    const now = new Date().getUTCFullYear();
    let year = Math.floor(now / 100) * 100 + yy;
    if (year > now + 50) year -= 100;
    return toSeconds(year, m[2] as string, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME.exec(v);
  if (m) return toSeconds(Number(m[6]), m[1] as string, Number((m[2] as string).trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  return undefined;
}
