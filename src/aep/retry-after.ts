/**
 * Reads a Retry-After header (RFC 9110 §10.2.3): `Retry-After = HTTP-date / delay-seconds`. HTTP-date has three
 * forms (§5.6.7), every one in GMT: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
 * `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`. Date.parse is not used: it reads a zoneless
 * asctime date in the machine's zone and takes nonsense such as `-5` for a date.
 */

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const imfFixdate = /^[a-z]{3}, (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/i;
const rfc850Date = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/i;
const asctimeDate = /^[a-z]{3} ([a-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/**
 * The wait a Retry-After asks for, in ms from `now`: delay-seconds as given, an HTTP-date's distance from now (0 for
 * a date already past). undefined when there is no header or it is neither form.
 */
export function parseRetryAfterMs(header: string | undefined, now: number = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  // delay-seconds is 1*DIGIT; a fraction is tolerated, it can only mean seconds.
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = parseHttpDate(value, now);
  return date === undefined ? undefined : Math.max(0, date - now);
}

/** Epoch ms of an HTTP-date in any of its three forms, or undefined. `now` places an RFC 850 two-digit year. */
export function parseHttpDate(value: string, now: number = Date.now()): number | undefined {
  let match = imfFixdate.exec(value);
  if (match) return utc(Number(match[3]), match[2]!, Number(match[1]), match[4]!, match[5]!, match[6]!);
  match = rfc850Date.exec(value);
  if (match) return utc(fullYear(Number(match[3]), now), match[2]!, Number(match[1]), match[4]!, match[5]!, match[6]!);
  match = asctimeDate.exec(value);
  if (match) return utc(Number(match[6]), match[1]!, Number(match[2]!.trim()), match[3]!, match[4]!, match[5]!);
  return undefined;
}

/** RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is the most recent past year with those digits. */
function fullYear(twoDigits: number, now: number): number {
  const thisYear = new Date(now).getUTCFullYear();
  const candidate = thisYear - (thisYear % 100) + twoDigits;
  return candidate > thisYear + 50 ? candidate - 100 : candidate;
}

function utc(
  year: number,
  monthName: string,
  day: number,
  hour: string,
  minute: string,
  second: string,
): number | undefined {
  const month = months.indexOf(monthName.toLowerCase());
  const [h, m, s] = [Number(hour), Number(minute), Number(second)];
  if (month < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const epochMs = Date.UTC(year, month, day, h, m, Math.min(s, 59));
  // 31 Feb would roll over into March: not a date.
  return new Date(epochMs).getUTCDate() === day ? epochMs : undefined;
}
