/**
 * PNDM: pseudo numerical methods for diffusion models; with `skip_prk_steps` (SD v1.4) this is
 * PLMS, a linear multistep (Adams-Bashforth) method over the noise predictions, the first step
 * taken twice as a second-order warm-up. Without it, three Runge-Kutta (PRK) steps start the chain.
 *
 * Source: diffusers `PNDMScheduler` (src/diffusers/schedulers/scheduling_pndm.py); Liu et al. 2022,
 * "Pseudo Numerical Methods for Diffusion Models on Manifolds", https://arxiv.org/abs/2202.09778.
 */
import { AlphaScheduler } from './alpha-scheduler.js';
import { timestepSpacingFor } from './config.js';
import { f32, integerTimesteps } from './schedule.js';
import type { SchedulerConfig, SchedulerName } from './scheduler.js';

export class PndmScheduler extends AlphaScheduler {
  readonly name: SchedulerName = 'pndm';
  #stepRatio = 0; // T // n: the distance PNDM assumes between two steps
  #prkTimesteps: number[] = [];
  #ets: Float32Array[] = []; // past noise predictions, oldest first (at most 4)
  #counter = 0;
  #curSample: Float32Array | null = null;
  #curModelOutput: Float64Array | null = null; // PRK's running weighted sum

  constructor(config: SchedulerConfig) {
    super(config, 'PndmScheduler');
  }

  setTimesteps(numInferenceSteps: number): void {
    const { numTrainTimesteps: T, skipPrkSteps } = this.config;
    const ts = integerTimesteps(this.config, timestepSpacingFor(this.name, this.config), numInferenceSteps).reverse(); // ascending
    this.#stepRatio = Math.floor(T / numInferenceSteps);
    if (skipPrkSteps) {
      // PLMS: every timestep, the second-lowest twice: [t_{n-1}, t_{n-2}, t_{n-2}, t_{n-3}, ..., t_0]
      this.#prkTimesteps = [];
      this.timesteps = [...ts.slice(0, -1), ...ts.slice(-2, -1), ...ts.slice(-1)].reverse();
    } else {
      // PRK warm-up over the 4 noisiest timesteps (4 model calls per step at t, t - ratio/2, t - ratio/2,
      // t - ratio), then PLMS over the rest; the list is diffusers' prk_timesteps construction
      const half = Math.floor(this.#stepRatio / 2);
      const pairs = ts.slice(-4).flatMap((t) => [t, t + half]);
      this.#prkTimesteps = pairs
        .slice(0, -1)
        .flatMap((t) => [t, t])
        .slice(1, -1)
        .reverse();
      this.timesteps = [...this.#prkTimesteps, ...ts.slice(0, -3).reverse()];
    }
    this.#ets = [];
    this.#counter = 0;
    this.#curSample = null;
    this.#curModelOutput = null;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (this.timesteps.length === 0) throw new Error('PndmScheduler: call setTimesteps before step.');
    const usePrk = !this.config.skipPrkSteps && this.#counter < this.#prkTimesteps.length;
    return usePrk ? this.#stepPrk(modelOutput, timestep, sample) : this.#stepPlms(modelOutput, timestep, sample);
  }

  #stepPrk(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const stage = this.#counter % 4;
    const prevTimestep = timestep - (this.#counter % 2 ? 0 : Math.floor(this.#stepRatio / 2));
    const t = this.#prkTimesteps[this.#counter - stage];
    const acc = (this.#curModelOutput ??= new Float64Array(modelOutput.length));
    let eps = modelOutput;
    if (stage === 0) {
      // RK4 weights 1/6, 1/3, 1/3, 1/6 over the four stages
      for (let i = 0; i < acc.length; i++) acc[i] += f32(1 / 6) * modelOutput[i];
      this.#ets.push(modelOutput.slice());
      this.#curSample = sample.slice();
    } else if (stage === 1 || stage === 2) {
      for (let i = 0; i < acc.length; i++) acc[i] += f32(1 / 3) * modelOutput[i];
    } else {
      eps = Float32Array.from(acc, (a, i) => a + f32(1 / 6) * modelOutput[i]);
      this.#curModelOutput = null;
    }
    const prev = this.#prevSample(this.#curSample ?? sample, t, prevTimestep, eps);
    this.#counter++;
    return prev;
  }

  #stepPlms(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    let t = timestep;
    let prevTimestep = timestep - this.#stepRatio;
    if (this.#counter !== 1) {
      this.#ets = [...this.#ets.slice(-3), modelOutput.slice()];
    } else {
      // the repeated first timestep: re-take step 0 with the average of both predictions
      prevTimestep = timestep;
      t = timestep + this.#stepRatio;
    }
    const e = this.#ets;
    const n = e.length;
    let eps: Float32Array;
    let x = sample;
    if (n === 1 && this.#counter === 0) {
      eps = modelOutput;
      this.#curSample = sample.slice();
    } else if (n === 1 && this.#counter === 1) {
      eps = modelOutput.map((m, i) => (m + e[0][i]) / 2);
      x = this.#curSample ?? sample;
      this.#curSample = null;
    } else if (n === 2) {
      eps = e[1].map((_, i) => (3 * e[1][i] - e[0][i]) / 2);
    } else if (n === 3) {
      eps = e[2].map((_, i) => (23 * e[2][i] - 16 * e[1][i] + 5 * e[0][i]) / 12);
    } else {
      eps = e[3].map((_, i) => (55 * e[3][i] - 59 * e[2][i] + 37 * e[1][i] - 9 * e[0][i]) / 24);
    }
    const prev = this.#prevSample(x, t, prevTimestep, eps);
    this.#counter++;
    return prev;
  }

  /** PNDM's transfer x_t -> x_{t'} (eq. 9 of the paper), scalars in float32 as torch computes them. */
  #prevSample(sample: Float32Array, t: number, prevT: number, modelOutput: Float32Array): Float32Array {
    const aT = this.alphasCumprod[t];
    const aPrev = this.alphaAt(prevT);
    const bT = f32(1 - aT);
    const bPrev = f32(1 - aPrev);
    const sampleCoeff = f32(Math.sqrt(f32(aPrev / aT)));
    const denom = f32(f32(aT * f32(Math.sqrt(bPrev))) + f32(Math.sqrt(f32(f32(aT * bT) * aPrev))));
    const diff = f32(aPrev - aT);
    const sqrtA = f32(Math.sqrt(aT));
    const sqrtB = f32(Math.sqrt(bT));
    const v = this.config.predictionType === 'v_prediction';
    return sample.map((x, i) => {
      const eps = v ? sqrtA * modelOutput[i] + sqrtB * x : modelOutput[i];
      return sampleCoeff * x - (diff * eps) / denom;
    });
  }
}
