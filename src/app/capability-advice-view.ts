/**
 * The banner at the top of the page: what this browser can run (WebGPU, shader-f16, buffer
 * limits), and when something is missing, the engine's plain explanation of what to do.
 */
import type { Capabilities } from '../engine/runtime/capabilities.js';
import { describeCapabilities } from './capability-advice.js';

export function renderCapabilityBanner(root: HTMLElement, caps: Capabilities): void {
  root.replaceChildren();
  root.dataset.backend = caps.backend;
  root.dataset.level = !caps.webgpu ? 'warn' : caps.explanation ? 'info' : 'ok';
  if (caps.explanation) {
    const explanation = document.createElement('p');
    explanation.className = 'explanation';
    explanation.textContent = caps.explanation;
    root.append(explanation);
  }
  const detected = document.createElement('p');
  detected.className = 'detected';
  detected.textContent = describeCapabilities(caps);
  root.append(detected);
  root.hidden = false;
}

export function renderCapabilityError(root: HTMLElement, error: Error): void {
  root.dataset.level = 'warn';
  root.textContent = `Could not check this browser's GPU: ${error.message}`;
  root.hidden = false;
}
