/**
 * The `key: value` pairs of an infotext settings line ("Steps: 20, Sampler: Euler a, ..."), read
 * in linear time.
 *
 * The rule is A1111's `re_param` (stable-diffusion-webui modules/infotext_utils.py), applied
 * globally as `re.findall` / `String.matchAll` would:
 *
 *   \s*([\p{L}\p{N}_][\p{L}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)
 *
 * Run by a backtracking regex engine that pattern is quadratic: on a long line without a colon
 * after a word run, every start position re-scans the rest of the run (80 000 characters took
 * 5.8 s). This scanner finds the same matches but never looks at a character twice for the same
 * reason: when a key run ends without ':' no start inside that run can match either, so the next
 * attempt starts at the run's end; a value ends at the first ',' (or is a JSON string whose scan
 * stops at the next unescaped '"', which is before any later value's opening quote).
 * parameters.test.ts checks it against the regex on generated lines and bounds its work.
 */

/** Counts characters examined, for tests that bound the work (never time). */
export interface ScanWork {
  steps: number;
}

const KEY_START = /^[\p{L}\p{N}_]$/u;
const KEY_REST = /^[\p{L}\p{N}_ \-/]$/u;
const SPACE = /^\s$/u;

/** ASCII lookups; other code points go through the regexes above (the `u` flag's classes). */
const ASCII_KEY_START = new Uint8Array(128);
const ASCII_KEY_REST = new Uint8Array(128);
const ASCII_SPACE = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ASCII_KEY_START[c] = KEY_START.test(ch) ? 1 : 0;
  ASCII_KEY_REST[c] = KEY_REST.test(ch) ? 1 : 0;
  ASCII_SPACE[c] = SPACE.test(ch) ? 1 : 0;
}

function classOf(line: string, at: number, ascii: Uint8Array, test: RegExp): number {
  const code = line.codePointAt(at)!;
  if (code < 128) return ascii[code]! ? 1 : 0;
  const width = code > 0xffff ? 2 : 1;
  return test.test(String.fromCodePoint(code)) ? width : 0;
}

/** What `.` (no `s` flag) does not match. */
function isLineTerminator(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;
}

/** The `[key, rawValue]` pairs `re_param` finds in `line`, in order (values still JSON-quoted where written so). */
export function settingsPairs(line: string, work: ScanWork = { steps: 0 }): [string, string][] {
  const n = line.length;
  const pairs: [string, string][] = [];
  const skipSpace = (from: number): number => {
    let at = from;
    for (let w: number; at < n && (w = classOf(line, at, ASCII_SPACE, SPACE)); at += w) work.steps++;
    return at;
  };
  for (let start = 0; start < n; ) {
    // \s* then [\p{L}\p{N}_][\p{L}\p{N}_ \-/]+ then ':'
    const keyStart = skipSpace(start);
    let keyEnd = keyStart;
    let count = 0;
    let width = keyStart < n ? classOf(line, keyStart, ASCII_KEY_START, KEY_START) : 0;
    work.steps++;
    while (width) {
      keyEnd += width;
      count++;
      width = keyEnd < n ? classOf(line, keyEnd, ASCII_KEY_REST, KEY_REST) : 0;
      work.steps++;
    }
    if (count < 2 || line.charCodeAt(keyEnd) !== 0x3a) {
      // No start inside this run can reach a ':' either: try again where the run ended.
      start = Math.max(start + 1, keyEnd);
      continue;
    }
    // \s* then the value: a JSON string followed by ',' or the end, else everything up to ','.
    const valueStart = skipSpace(keyEnd + 1);
    let valueEnd = -1;
    if (line.charCodeAt(valueStart) === 0x22) {
      let at = valueStart + 1;
      let inner = 0;
      for (;;) {
        work.steps++;
        const code = line.charCodeAt(at);
        if (at >= n) break;
        if (code === 0x5c) {
          if (at + 1 >= n || isLineTerminator(line.charCodeAt(at + 1))) break;
          at += 2;
        } else if (code === 0x22) {
          break;
        } else {
          at++;
        }
        inner++;
      }
      const after = at + 1;
      if (inner > 0 && line.charCodeAt(at) === 0x22 && (after === n || line.charCodeAt(after) === 0x2c)) valueEnd = after;
    }
    let next: number;
    if (valueEnd >= 0) {
      next = valueEnd === n ? n : valueEnd + 1;
    } else {
      const comma = line.indexOf(',', valueStart);
      valueEnd = comma < 0 ? n : comma;
      work.steps += valueEnd - valueStart + 1;
      next = comma < 0 ? n : comma + 1;
    }
    pairs.push([line.slice(keyStart, keyEnd), line.slice(valueStart, valueEnd)]);
    start = next;
  }
  return pairs;
}
