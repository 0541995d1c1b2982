/**
 * torch's float32 sum on the CPU, in its order of additions, so a mean matches torch's bit for bit.
 * A1111's emphasis divides by the chunk's mean, which for CLIP's layer-normed output can be ~1e-5: a
 * sum in another order (or in float64) then moves every value by 1e-3. This follows ATen's
 * SumKernel.cpp `vectorized_inner_sum` -> `row_sum` -> `multi_row_sum` (cascade of 4 levels, 4
 * independent accumulators of 8 float lanes, AVX2's Vectorized<float>), which for inputs below ATen's
 * parallel grain size (32768 values) one thread runs: checked equal to torch 2.13 on random data of
 * 37 to 9856 values (all equal) in tools/make_a1111_prompt_refs.py's environment. Larger inputs are
 * split across threads by torch, so there the result is torch's up to float32 rounding.
 */
const LANES = 8;
const ILP = 4;
const NUM_LEVELS = 4;

export function torchSum(values: Float32Array): number {
  const vecSize = Math.floor(values.length / LANES);
  const sizeIlp = Math.floor(vecSize / ILP);
  // partial[k]: lanes of accumulator k; each vector row i*ILP + k holds values [(i*ILP + k) * LANES, + LANES).
  const partial = multiRowSum(values, sizeIlp);
  const first = partial[0];
  for (let i = sizeIlp * ILP; i < vecSize; i++) addRow(first, values, i * LANES);
  for (let k = 1; k < ILP; k++) for (let l = 0; l < LANES; l++) first[l] = first[l] + partial[k][l];
  const result = new Float32Array(1);
  for (let k = vecSize * LANES; k < values.length; k++) result[0] = result[0] + values[k];
  for (let l = 0; l < LANES; l++) result[0] = result[0] + first[l];
  return result[0];
}

/** torch's float32 mean: the sum above, divided in float32. */
export function torchMean(values: Float32Array): number {
  return Math.fround(torchSum(values) / Math.fround(values.length));
}

function addRow(acc: Float32Array, values: Float32Array, offset: number): void {
  for (let l = 0; l < LANES; l++) acc[l] = acc[l] + values[offset + l];
}

/** ATen's multi_row_sum over `size` groups of ILP vectors: a 4-level cascade so no accumulator grows too far. */
function multiRowSum(values: Float32Array, size: number): Float32Array[] {
  const levelPower = Math.max(4, Math.floor(ceilLog2(size) / NUM_LEVELS));
  const levelStep = 1 << levelPower;
  const levelMask = levelStep - 1;
  const acc = Array.from({ length: NUM_LEVELS }, () => Array.from({ length: ILP }, () => new Float32Array(LANES)));
  let i = 0;
  while (i + levelStep <= size) {
    for (let j = 0; j < levelStep; j++, i++) for (let k = 0; k < ILP; k++) addRow(acc[0][k], values, (i * ILP + k) * LANES);
    for (let j = 1; j < NUM_LEVELS; j++) {
      for (let k = 0; k < ILP; k++) {
        for (let l = 0; l < LANES; l++) acc[j][k][l] = acc[j][k][l] + acc[j - 1][k][l];
        acc[j - 1][k].fill(0);
      }
      if ((i & (levelMask << (j * levelPower))) !== 0) break;
    }
  }
  for (; i < size; i++) for (let k = 0; k < ILP; k++) addRow(acc[0][k], values, (i * ILP + k) * LANES);
  for (let j = 1; j < NUM_LEVELS; j++) for (let k = 0; k < ILP; k++) for (let l = 0; l < LANES; l++) acc[0][k][l] = acc[0][k][l] + acc[j][k][l];
  return acc[0];
}

/** ATen's utils::CeilLog2 (0 for 0 and 1). */
function ceilLog2(x: number): number {
  return x <= 1 ? 0 : Math.ceil(Math.log2(x));
}
