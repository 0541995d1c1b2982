/**
 * The app's entry: wires the page (form, "Start from a picture" panel, model picker, progress, preview
 * canvas, gallery, PNG drop, capability banner) to the engine, which runs in a web worker behind the typed protocol
 * (WorkerEngine). Everything here is glue; each piece's logic lives in its own file.
 */
import type { ParsedGenerationParameters } from '../core/parameters.js';
import { SCHEDULER_LABELS } from '../core/schedulers/index.js';
import type { PromptSyntax } from '../core/prompt-syntax.js';
import type { Capabilities } from '../engine/runtime/capabilities.js';
import type { LoadedModel } from '../engine/engine.js';
import { imageInputRefusal } from '../engine/model/model-parts.js';
import { batchSeeds, RANDOM_SEED, resolveSeed } from '../engine/request/seed.js';
import { createWorkerEngine } from '../protocol/create-worker-engine.js';
import { presetGeometry, type ModelPreset } from '../presets/model-preset.js';
import { presets } from '../presets/presets.js';
import { normaliseModelUrl } from '../engine/model/model-url.js';
import { formatBytes } from '../core/format-bytes.js';
import { emitAppEvent } from './app-events.js';
import { adviseModel, type ModelAdvice } from './capability-advice.js';
import { renderCapabilityBanner, renderCapabilityError } from './capability-advice-view.js';
import { byId } from './dom.js';
import { SAFETY_CHECKER_OFF_WARNING } from '../engine/safety/safety-off-warning.js';
import { GalleryStore } from './gallery-store.js';
import { GalleryView } from './gallery-view.js';
import { GenerationController, type JobHandlers, type JobOutcome } from './generation-controller.js';
import { GenerationForm } from './form-values-view.js';
import { ImageInputPanel } from './image-input.js';
import { fromRequest, modeHint, previewOptions, toRequest, validateForm } from './form-values.js';
import { isBundled, modelSpecFor, needsUrl, recommendedValues } from './model-choice.js';
import { ModelPicker } from './model-choice-view.js';
import { restoreParameters, restoreRequest, type RestoreResult } from './parameter-restore.js';
import { StoredModelsView } from './stored-models-view.js';
import { chooseLoras, loraRestoreNotes, promptWithoutLoraTags, type LoraChoice } from './lora-choice.js';
import { LoraView } from './lora-view.js';
import { encodeImagePng } from '../engine/request/png-file.js';
import { attachPngDrop } from './png-drop.js';
import { PreviewCanvas } from './preview-canvas.js';
import { ProgressView, type RunState } from './progress-view.js';
import { TokenCounter } from './token-count-view.js';
import { PendingGenerate, type RunningJob } from './pending-generate.js';
import '../pwa/register.js'; // PWA: service worker, offline start, update prompt (production builds only)

const engine = createWorkerEngine();
// Absolute URLs: the worker resolves relative ones against its own script, not the page.
const specs = presets(new URL(import.meta.env.BASE_URL, location.href).href);
const controller = new GenerationController(engine);

const form = new GenerationForm();
const progress = new ProgressView(byId('progress', HTMLElement), byId('progress-bar', HTMLProgressElement), byId('progress-text', HTMLElement));
const canvas = new PreviewCanvas(byId('preview', HTMLCanvasElement));
const stageCaption = byId('stage-caption', HTMLElement);
const modelStatus = byId('model-status', HTMLElement);
const modelAdvice = byId('model-advice', HTMLElement);
const cancelButton = byId('cancel', HTMLButtonElement);
const loadButton = byId('load-model', HTMLButtonElement);
const reuseSeedButton = byId('seed-reuse', HTMLButtonElement);
const dropMessage = byId('drop-message', HTMLElement);
const modeHintText = byId('mode-hint', HTMLElement);
const tokenize = (text: string, syntax: PromptSyntax) => engine.tokenize(text, syntax);
const syntax = () => form.read().promptSyntax;
// The prompt's <lora:...> tags are not text the text encoder reads (lora-choice.ts): not counted, as A1111.
const promptTokens = new TokenCounter({
  input: form.field('prompt') as HTMLTextAreaElement,
  output: byId('prompt-tokens', HTMLOutputElement),
  tokenize: (text, s) => tokenize(promptWithoutLoraTags(text), s),
  syntax,
});
const negativeTokens = new TokenCounter({
  input: form.field('negativePrompt') as HTMLTextAreaElement,
  output: byId('negative-prompt-tokens', HTMLOutputElement),
  tokenize,
  syntax,
});
form.field('promptSyntax').addEventListener('change', () => {
  promptTokens.refresh();
  negativeTokens.refresh();
});
let capabilities: Capabilities | null = null;
let lastSeed: number | null = null;
/** The engine's current model, and the picker entry it came from. */
let loaded: { specId: string; text: string; model: LoadedModel } | null = null;
// In the picture modes the output takes the picture's size: the size fields show it, locked.
const imageInput = new ImageInputPanel({
  onInitImage: (size) => {
    form.lockSize(size);
    refreshAdvice();
  },
});
const gallery = new GalleryView({
  list: byId('gallery', HTMLOListElement),
  store: new GalleryStore(),
  onRestore: (entry) => restore(restoreRequest(entry.request, entry.model, specs), 'gallery', 'the gallery image'),
  onUseAsInput: (entry) => {
    void imageInput.setPicture(entry.png, `The gallery image (seed ${entry.request.seed ?? 'from latents'})`);
    byId('image-input', HTMLElement).scrollIntoView({ block: 'nearest' });
  },
});
const loraView = new LoraView({
  input: byId('lora-input', HTMLInputElement),
  zone: byId('loras', HTMLElement),
  list: byId('lora-list', HTMLUListElement),
  message: byId('lora-message', HTMLElement),
});
void loraView.refresh();
const storedModels = new StoredModelsView({
  list: byId('stored-models', HTMLUListElement),
  summary: byId('stored-models-summary', HTMLElement),
  estimate: byId('storage-estimate', HTMLElement),
  message: byId('stored-models-message', HTMLElement),
  engine,
});
const picker = new ModelPicker({
  presets: specs,
  onChange: () => modelChanged(true),
  onExample: (prompt) => {
    form.write({ prompt });
    promptTokens.refresh();
  },
});

/** The job the controller runs (null: none), and a Generate asked for during a load (pending-generate.ts). */
let runningJob: RunningJob | null = null;
const pendingGenerate = new PendingGenerate();

function setState(state: RunState, message: string): void {
  const busy = state === 'loading' || state === 'generating' || state === 'cancelling';
  progress.state(state, message);
  document.body.dataset.state = state;
  form.setBusy(busy);
  cancelButton.disabled = !busy || state === 'cancelling';
  loadButton.disabled = busy;
  storedModels.setBusy(busy);
  emitAppEvent('sd-app:state', { state, message });
}

function selectedSpec(): ModelPreset | null {
  const { modelId, customUrl } = form.read();
  return modelSpecFor(modelId, customUrl, specs);
}

/** The selected spec, or the preset itself while its folder URL (askUrl) is not typed yet: for advice and labels. */
function chosenSpec(): ModelPreset | null {
  return selectedSpec() ?? specs.find((s) => s.id === form.read().modelId) ?? null;
}

/** The engine's model when it is the selected one (its facts apply to the next Generate), else null. */
function loadedSelected(): LoadedModel | null {
  const spec = selectedSpec();
  return spec && loaded?.specId === spec.id ? loaded.model : null;
}

/** The mode hint says so when the selected, loaded model cannot start from a picture (no vae_encoder/). */
function refreshModeHint(): void {
  modeHintText.textContent = modeHint(loadedSelected());
}

function refreshAdvice(): ModelAdvice {
  const spec = chosenSpec();
  const { width, height } = form.read();
  const advice: ModelAdvice =
    capabilities && spec ? adviseModel(capabilities, spec, { width: width || 512, height: height || 512 }) : { level: 'ok', message: null };
  modelAdvice.textContent = advice.message ?? '';
  modelAdvice.dataset.level = advice.level;
  modelAdvice.hidden = advice.message === null;
  return advice;
}

/** `loras`: the generation's LoRAs (lora-choice.ts), named in the progress line and the result, written in the PNG. */
function handlersFor(spec: ModelPreset, loras?: LoraChoice): JobHandlers {
  const withLoras = loras?.summary ? ` with LoRA ${loras.summary}` : '';
  return {
    onPhase: (phase) => setState(phase, phase === 'loading' ? `Loading ${spec.label}${withLoras}…` : `Generating${withLoras}…`),
    onProgress: (p, batch) => progress.show(p, batch),
    onLoaded: (model) => {
      const reason = model.backendReason ? ` ${model.backendReason}` : '';
      const firstLoad = loaded?.specId !== spec.id;
      loaded = {
        specId: spec.id,
        model,
        text: `Loaded: ${model.name} on ${model.backend === 'webgpu' ? 'WebGPU' : 'the CPU (wasm)'}, ${model.precision}.${reason}`,
      };
      modelStatus.textContent = loaded.text;
      refreshModeHint();
      storedModels.setInUse(normaliseModelUrl(model.url));
      promptTokens.setReady(true);
      negativeTokens.setReady(true);
      emitAppEvent('sd-app:model-loaded', { id: model.id, backend: model.backend, precision: model.precision });
      // An LCM-distilled folder recommends its fast settings (LCM, 4 steps, guidance 1): set them once, and say so.
      if (firstLoad && model.recommended) {
        form.write(fromRequest(model.recommended));
        modelStatus.textContent = `${loaded.text} It is LCM-distilled: the sampler is set to ${SCHEDULER_LABELS[model.recommended.scheduler]}, ${model.recommended.numInferenceSteps} steps, guidance ${model.recommended.guidanceScale}.`;
      }
    },
    onPreview: (p, batch) => {
      canvas.preview(p);
      stageCaption.textContent = `Preview, step ${p.step} of ${p.totalSteps}${p.kind === 'vae' ? ' (full decode)' : p.kind === 'tiny' ? ' (tiny decoder)' : ''}`;
      emitAppEvent('sd-app:preview', { step: p.step, totalSteps: p.totalSteps, kind: p.kind, batchIndex: batch.index });
    },
    onImage: async (result, batch) => {
      const r = result.request;
      const sampler = SCHEDULER_LABELS[r.scheduler];
      const description = `${r.prompt}. Seed ${r.seed}, ${sampler}, ${r.numInferenceSteps} steps.`;
      canvas.image(result.rgba, result.width, result.height, description);
      stageCaption.textContent = `Seed ${r.seed} · ${sampler} · ${r.numInferenceSteps} steps${loras?.summary ? ` · LoRA ${loras.summary}` : ''} · ${(result.timings.totalMs / 1000).toFixed(1)} s`;
      // With LoRAs the PNG's prompt keeps their tags and `Lora hashes` names them, as the CLI writes it.
      const stored = loras?.summary ? { ...r, prompt: loras.infotextPrompt } : r;
      const png = loras?.summary ? await encodeImagePng({ ...result, request: stored }, loras.extra) : result.png;
      await gallery.add({ png, width: result.width, height: result.height, request: stored, model: result.model });
      if (r.seed !== null) lastSeed = r.seed;
      reuseSeedButton.disabled = false;
      emitAppEvent('sd-app:image', { seed: r.seed, batchIndex: batch.index, width: result.width, height: result.height });
    },
    onWithheld: (request, batch) => {
      const seed = request.seed ?? null;
      canvas.withheld(`Seed ${seed}: withheld by the safety checker.`);
      stageCaption.textContent = `Seed ${seed} · withheld by the safety checker: try another seed or prompt`;
      gallery.addWithheld(seed, request.prompt);
      emitAppEvent('sd-app:withheld', { seed, batchIndex: batch.index });
    },
  };
}

function finish(outcome: JobOutcome, what: 'load' | 'generate'): void {
  // A load stores (or partly stores, when cancelled or failed) a model: show what the store holds now.
  void storedModels.refresh();
  switch (outcome.kind) {
    case 'done':
      setState('done', what === 'load' ? 'Model ready.' : `Done: ${outcome.images} image${outcome.images === 1 ? '' : 's'}.`);
      break;
    case 'cancelled':
      setState(
        'cancelled',
        `Cancelled${outcome.images > 0 ? ` after ${outcome.images} image${outcome.images === 1 ? '' : 's'}` : ''}. Ready for the next run.`,
      );
      break;
    case 'error':
      setState('error', outcome.error.message);
      form.showMessage(outcome.error.message);
      break;
  }
}

async function loadSelected(): Promise<void> {
  const spec = selectedSpec();
  if (!spec || controller.busy) return;
  if (refreshAdvice().level === 'refuse') return;
  form.showMessage('');
  runningJob = 'load';
  const outcome = await controller.load(spec, handlersFor(spec));
  runningJob = null;
  finish(outcome, 'load');
  // A Generate pressed during the load (e.g. just after the bundled model began loading) starts now.
  if (pendingGenerate.take(outcome)) void generate();
}

async function generate(): Promise<void> {
  if (controller.busy) {
    form.showMessage(pendingGenerate.ask(runningJob ?? 'generate'));
    return;
  }
  const values = form.read();
  // A model this browser cannot run is said before asking for anything else (e.g. its folder URL).
  if (refreshAdvice().level === 'refuse') {
    form.showMessage(`${chosenSpec()?.label ?? 'This model'} cannot run in this browser: see the note under the model picker.`);
    return;
  }
  const spec = selectedSpec();
  // The loaded model's size rule when it is the selected one; else the preset's declared one, or what
  // every SD v1 model shares (the engine checks the loaded model's rule again before any work).
  const preset = chosenSpec();
  const picture = imageInput.inputs();
  // A loaded model without vae_encoder/ refuses the picture modes here; one not loaded yet is refused by
  // the engine from its folder's file list, before its weights download (EngineLoadOptions.needsVaeEncoder).
  const current = loadedSelected();
  const refusal = current ? (imageInputRefusal(current.name, current.hasVaeEncoder)?.message ?? null) : null;
  const errors = validateForm(
    values,
    current ? current.geometry : preset ? presetGeometry(preset) : undefined,
    needsUrl(values.modelId, specs),
    picture,
    refusal,
  );
  form.showErrors(errors);
  if (errors.length > 0 || !spec) return;
  let loras: LoraChoice;
  try {
    loras = chooseLoras(values.prompt, loraView.entries); // <lora:name:weight> tags out of the prompt, named from the library
  } catch (error) {
    form.showMessage(error instanceof Error ? error.message : String(error));
    return;
  }
  const requests = batchSeeds(resolveSeed(values.seed), values.batchCount).map((seed) => ({ ...toRequest(values, seed, picture), prompt: loras.prompt }));
  const size = requests[0].initImage ?? values;
  canvas.resize(size.width, size.height);
  // On a phone the output sits below the form: bring the progress into view.
  byId('progress', HTMLElement).scrollIntoView({ block: 'nearest' });
  runningJob = 'generate';
  const outcome = await controller.generate(spec, requests, previewOptions(values), handlersFor(spec, loras), loras.loraFiles);
  runningJob = null;
  finish(outcome, 'generate');
}

/** A model was picked (by the user, or by restored parameters when `applyRecommended` is false). */
function modelChanged(applyRecommended: boolean): void {
  const spec = selectedSpec();
  // A preset that asks for its folder's URL recommends its settings before the URL is typed.
  const preset = chosenSpec();
  if (applyRecommended && preset) {
    form.write(recommendedValues(preset));
    imageInput.sync();
  }
  form.showMessage('');
  refreshModeHint();
  const advice = refreshAdvice();
  if (spec && loaded?.specId !== spec.id && advice.level !== 'refuse') {
    const size = spec.sizeBytes ? ` (a download of ${formatBytes(Math.max(...Object.values(spec.sizeBytes)))} the first time)` : '';
    modelStatus.textContent = `${loaded ? `${loaded.text} ` : ''}${spec.label} loads when you press Load or Generate${size}.`;
  } else {
    modelStatus.textContent = loaded?.text ?? 'Not loaded yet.';
  }
  if (spec && isBundled(spec, location.href) && advice.level !== 'refuse') void loadSelected();
}

function restore({ values, notes }: RestoreResult, source: 'gallery' | 'png', what: string): void {
  if (values.modelId && values.modelId !== picker.value) {
    picker.select(values.modelId);
    modelChanged(false);
  }
  form.write(values);
  imageInput.sync(); // a picture's size stays the output's
  promptTokens.refresh();
  negativeTokens.refresh();
  refreshAdvice();
  dropMessage.textContent = [`Restored the parameters of ${what}.`, ...notes].join(' ');
  dropMessage.hidden = false;
  emitAppEvent('sd-app:restored', { source, notes });
}

form.element.addEventListener('submit', (event) => {
  event.preventDefault();
  void generate();
});
cancelButton.addEventListener('click', () => {
  controller.cancel();
  setState('cancelling', 'Cancelling…');
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && controller.busy) cancelButton.click();
});
loadButton.addEventListener('click', () => void loadSelected());
// WebGPU on a software adapter is opt-in (backend-choice.ts); the choice is kept across visits.
const FORCE_WEBGPU_KEY = 'sd-web:force-webgpu';
const forceWebGpu = byId('force-webgpu', HTMLInputElement);
forceWebGpu.checked = localStorage.getItem(FORCE_WEBGPU_KEY) === 'true';
controller.backend = forceWebGpu.checked ? 'webgpu' : 'auto';
forceWebGpu.addEventListener('change', () => {
  localStorage.setItem(FORCE_WEBGPU_KEY, String(forceWebGpu.checked));
  controller.backend = forceWebGpu.checked ? 'webgpu' : 'auto';
  // Reload what is loaded on the new backend (the engine keys its model by URL and backend).
  if (loaded && !controller.busy) void loadSelected();
});
// The safety checker runs whenever the model has one; turning it off is this visit's explicit choice, with diffusers' warning.
const safetyCheckerBox = byId('safety-checker', HTMLInputElement);
const safetyWarning = byId('safety-checker-warning', HTMLElement);
safetyWarning.textContent = SAFETY_CHECKER_OFF_WARNING;
safetyCheckerBox.addEventListener('change', () => {
  controller.safetyChecker = safetyCheckerBox.checked;
  safetyWarning.hidden = safetyCheckerBox.checked;
  // Reload what is loaded with the new setting (the engine keys its model by URL, backend and this setting).
  if (loaded && !controller.busy) void loadSelected();
});
byId('seed-random', HTMLButtonElement).addEventListener('click', () => form.write({ seed: RANDOM_SEED }));
reuseSeedButton.addEventListener('click', () => lastSeed !== null && form.write({ seed: lastSeed }));
for (const name of ['width', 'height', 'customUrl'] as const) form.field(name).addEventListener('change', refreshAdvice);
attachPngDrop({
  target: window,
  input: byId('png-input', HTMLInputElement),
  overlay: byId('drop-overlay', HTMLElement),
  onParameters: (p: ParsedGenerationParameters, fileName) => {
    const restored = restoreParameters(p, specs);
    restore({ ...restored, notes: [...restored.notes, ...loraRestoreNotes(p.extra['Lora hashes'], loraView.entries)] }, 'png', fileName);
  },
  onError: (message) => {
    dropMessage.textContent = message;
    dropMessage.hidden = false;
  },
});
window.addEventListener('pagehide', () => gallery.dispose());

async function start(): Promise<void> {
  setState('idle', 'Checking what this browser can run…');
  // The bundled demo is the first preset: selected, with its settings and first example prompt.
  const first = specs[0];
  picker.select(first.id);
  form.write(recommendedValues(first));
  if (!form.read().prompt) form.write({ prompt: first.examplePrompts?.[0] ?? '' });

  void storedModels.refresh();
  const galleryReady = gallery.refresh().then((entries) => {
    if (entries.length === 0) return;
    lastSeed = entries[0].request.seed;
    reuseSeedButton.disabled = lastSeed === null;
  });
  try {
    capabilities = await engine.capabilities();
    renderCapabilityBanner(byId('capabilities', HTMLElement), capabilities);
    byId('force-webgpu-row', HTMLElement).hidden = !capabilities.softwareAdapter;
  } catch (error) {
    renderCapabilityError(byId('capabilities', HTMLElement), error as Error);
  }
  await galleryReady.catch((error: Error) => form.showMessage(`The gallery could not be read: ${error.message}`));
  setState('idle', 'Ready.');
  modelChanged(false);
}

void start();
