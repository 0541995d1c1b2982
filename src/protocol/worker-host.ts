/**
 * Worker side of the protocol: serves an Engine on a message port. Each request gets its own
 * AbortController so `cancel` can stop it between steps; pixel buffers are transferred.
 */
import { errorToJSON } from '../core/errors.js';
import type { Engine } from '../engine/engine.js';
import { LoraInputReader } from '../engine/lora/lora-inputs.js';
import type { FromWorker, ResultMap, ToWorker } from './messages.js';

export interface PortLike {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void;
}

export function serveEngine(engine: Engine, port: PortLike): void {
  const running = new Map<number, AbortController>();
  const loraReader = new LoraInputReader(); // a load's LoRA files, read once per Blob

  const handle = async (message: ToWorker): Promise<ResultMap[ToWorker['type']]> => {
    const { id } = message;
    const signal = running.get(id)?.signal;
    const onProgress = (progress: FromWorker & { type: 'progress' } extends { progress: infer P } ? P : never) =>
      port.postMessage({ id, type: 'progress', progress });
    switch (message.type) {
      case 'capabilities':
        return engine.capabilities();
      case 'load':
        return engine.load(message.spec, {
          signal,
          onProgress,
          backend: message.backend,
          needsVaeEncoder: message.needsVaeEncoder,
          safetyChecker: message.safetyChecker,
          loras: await loraReader.read(message.loras ?? []),
        });
      case 'generate':
        return engine.generate(message.request, {
          ...message.options,
          signal,
          onProgress,
          onPreview: (preview) => port.postMessage({ id, type: 'preview', preview }, [preview.rgba.buffer]),
        });
      case 'tokenize':
        return engine.tokenize(message.text, message.syntax);
      case 'list-models':
        return engine.listModels();
      case 'delete-model':
        await engine.deleteModel(message.modelId);
        return null;
      case 'cancel':
        running.get(message.target)?.abort();
        return null;
      default: {
        const unknown: never = message;
        throw new Error(`Unknown request ${JSON.stringify(unknown)}`);
      }
    }
  };

  port.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type !== 'cancel') running.set(message.id, new AbortController());
    handle(message)
      .then(
        (result) => {
          const transfer = transferablesOf(result);
          port.postMessage({ id: message.id, type: 'result', result }, transfer);
        },
        (error: unknown) => port.postMessage({ id: message.id, type: 'error', error: errorToJSON(error) }),
      )
      .finally(() => running.delete(message.id));
  });
}

function transferablesOf(result: unknown): Transferable[] {
  if (result && typeof result === 'object' && 'rgba' in result && 'png' in result) {
    const { rgba, png } = result as { rgba: Uint8ClampedArray; png: Uint8Array };
    return rgba.buffer === png.buffer ? [rgba.buffer] : [rgba.buffer, png.buffer];
  }
  return [];
}
