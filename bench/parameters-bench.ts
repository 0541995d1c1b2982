/**
 * Parameters (infotext) parsing time against text length: the linear scanner parameters.ts uses
 * (src/core/infotext-settings.ts) and, for comparison, A1111's `re_param` regex it replaced, on the
 * issue-12 case: a `parameters` text that is one long line without commas (a crafted PNG).
 *
 * Run: npm run bench:parameters            (node --import tsx bench/parameters-bench.ts)
 * Prints the best of 3 runs per size; the regex only up to 80 000 characters (it is quadratic).
 */
import { settingsPairs } from '../src/core/infotext-settings.js';
import { parseParameters } from '../src/core/parameters.js';

const RE_PARAM = /\s*([\p{L}\p{N}_][\p{L}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/gu;
const SIZES = [20_000, 40_000, 80_000, 1_000_000, 4_000_000];
const REGEX_MAX = 80_000;

function bestMs(run: () => void, repeats = 3): number {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const line = (n: number) => 'a lighthouse on a cliff in a storm at night '.repeat(Math.ceil(n / 44)).slice(0, n);
const parse = (text: string) => {
  try {
    parseParameters(text);
  } catch {
    // no settings line: InvalidRequestError, as for any text without "Steps: ..."
  }
};

parse(line(100_000)); // warm-up (JIT)
console.log('characters | parseParameters (ms) | settingsPairs (ms) | re_param regex (ms)');
for (const n of SIZES) {
  const text = line(n);
  const whole = bestMs(() => parse(text));
  const scan = bestMs(() => settingsPairs(text));
  const regex = n <= REGEX_MAX ? bestMs(() => [...text.matchAll(RE_PARAM)], 1).toFixed(1) : '(skipped: quadratic)';
  console.log(`${String(n).padStart(10)} | ${whole.toFixed(1).padStart(20)} | ${scan.toFixed(1).padStart(18)} | ${regex}`);
}
