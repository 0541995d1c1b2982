/**
 * The GPU device onnxruntime-web's WebGPU sessions run on, and what happens when it is lost (a driver
 * reset, a background tab on mobile, running out of GPU memory, `GPUDevice.destroy()`). The WebGPU
 * spec resolves `device.lost` once, and a lost device never works again. onnxruntime-web (1.30) makes
 * its default device with the first WebGPU session and keeps it for every later one (exposed as
 * `ort.env.webgpu.device`); sessions given a device of their own in the WebGPU EP's options
 * (`{ name: 'webgpu', device }`) run on that one instead. So after a loss the engine requests a fresh
 * device here, with the adapter limits and features onnxruntime asks for its own, and passes it on.
 */
import { GpuDeviceLostError } from '../../core/errors.js';
import type { OrtModule } from './ort.js';

/** What the engine uses of a GPUDevice. */
export interface WatchedDevice {
  readonly lost: Promise<{ reason?: string; message?: string }>;
}

/** onnxruntime-web's default WebGPU device, once its first WebGPU session exists; null elsewhere. */
export function ortWebGpuDevice(ort: OrtModule): WatchedDevice | null {
  const device = (ort as { env?: { webgpu?: { device?: unknown } } }).env?.webgpu?.device;
  return device && typeof device === 'object' && 'lost' in device ? (device as WatchedDevice) : null;
}

/** The error a job gets when the device under it is lost. */
export function deviceLostError(info: { reason?: string; message?: string }): GpuDeviceLostError {
  const why = [info.reason && info.reason !== 'unknown' ? info.reason : null, info.message || null].filter(Boolean).join(': ');
  return new GpuDeviceLostError(
    `The GPU device was lost${why ? ` (${why})` : ''}, as a driver reset, a tab in the background or running out of GPU memory can do, so this job stopped. ` +
      'Try again: the next request makes new GPU sessions from the stored weights, without downloading them again.',
  );
}

/** Limits onnxruntime's WebGPU EP raises to the adapter's (its WebGpuContext), so that large models fit as they did. */
const LIMITS = [
  'maxBindGroups',
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;
const FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

interface AdapterLike {
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: { requiredLimits: Record<string, number>; requiredFeatures: string[] }): Promise<WatchedDevice>;
}

/** A new device on a new adapter (the lost device's adapter cannot make another). */
export async function requestFreshDevice(
  gpu = (globalThis.navigator as { gpu?: { requestAdapter(o?: { powerPreference?: string }): Promise<AdapterLike | null> } } | undefined)?.gpu,
): Promise<WatchedDevice> {
  const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw deviceLostError({ message: 'no GPU adapter is available to start again; reload the page' });
  const requiredLimits: Record<string, number> = {};
  for (const limit of LIMITS) if (typeof adapter.limits[limit] === 'number') requiredLimits[limit] = adapter.limits[limit];
  return adapter.requestDevice({ requiredLimits, requiredFeatures: FEATURES.filter((feature) => adapter.features.has(feature)) });
}
