/**
 * An OrtModule that times what the engine does with the real one: session creation and every
 * session.run, grouped by model part. The part is read from the session's input names (input_ids:
 * text encoder; sample + timestep: UNet; latent_sample: VAE decoder; x: the engine's GPU uploader),
 * so it does not depend on the order in which the pipeline creates sessions.
 */
import type { OrtModule, OrtSession } from '../../src/engine/runtime/ort.js';

export type Part = 'text_encoder' | 'unet' | 'vae_decoder' | 'vae_encoder' | 'uploader' | 'other';

export interface Timings {
  /** Session creation, ms, in creation order. */
  create: { part: Part; ms: number }[];
  /** session.run wall time, ms, per part, in call order. */
  runs: Record<Part, number[]>;
}

const emptyRuns = (): Record<Part, number[]> => ({ text_encoder: [], unet: [], vae_decoder: [], vae_encoder: [], uploader: [], other: [] });

export function partOf(inputNames: readonly string[]): Part {
  const has = (name: string) => inputNames.includes(name);
  if (has('input_ids')) return 'text_encoder';
  if (has('sample') && has('timestep')) return 'unet';
  if (has('latent_sample')) return 'vae_decoder';
  if (has('sample')) return 'vae_encoder';
  if (inputNames.length === 1 && has('x')) return 'uploader';
  return 'other';
}

export class TimedRuntime {
  readonly timings: Timings = { create: [], runs: emptyRuns() };
  readonly ort: OrtModule;
  /** Every session created, by part (e.g. to end a profiled session's trace before it is released). */
  readonly sessions: { part: Part; session: OrtSession }[] = [];

  constructor(inner: OrtModule) {
    const timings = this.timings;
    const create = async (...args: unknown[]): Promise<OrtSession> => {
      const t0 = performance.now();
      const session = await (inner.InferenceSession.create as (...a: unknown[]) => Promise<OrtSession>)(...args);
      const part = partOf(session.inputNames);
      timings.create.push({ part, ms: performance.now() - t0 });
      this.sessions.push({ part, session });
      return timedSession(session, (ms) => timings.runs[part].push(ms));
    };
    this.ort = {
      Tensor: inner.Tensor,
      InferenceSession: { ...inner.InferenceSession, create } as unknown as OrtModule['InferenceSession'],
      opensModelFiles: inner.opensModelFiles,
    };
  }

  /** Forgets the runs so far (warm-up), keeping session creation times. */
  resetRuns(): void {
    this.timings.runs = emptyRuns();
  }
}

function timedSession(session: OrtSession, record: (ms: number) => void): OrtSession {
  return new Proxy(session, {
    get(target, prop) {
      if (prop === 'run') {
        return async (...args: unknown[]) => {
          const t0 = performance.now();
          const result = await (target.run as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          record(performance.now() - t0);
          return result;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
