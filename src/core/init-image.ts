/**
 * Pictures going into the model (img2img / inpainting), as diffusers' VaeImageProcessor prepares them
 * (src/diffusers/image_processor.py): `pil_to_numpy` (uint8 / 255 in float32), `normalize` (2x - 1),
 * NCHW. Only the RGB channels are read (PIL's convert("RGB") drops alpha the same way).
 */

/** 8-bit RGBA pixels, row-major (H, W, 4): what ImageData, a canvas and the PNG decoders give. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

const f32 = Math.fround;

export function checkRgbaImage(image: RgbaImage, what: string): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || !data || data.length !== width * height * 4) {
    throw new RangeError(`${what} must be ${width}x${height} RGBA pixels (${width * height * 4} bytes), got ${data?.length ?? 'none'}.`);
  }
}

/** RGBA (H, W, 4) -> the VAE encoder's `sample` (1, 3, H, W) in [-1, 1]: 2 * (v / 255) - 1 in float32. */
export function rgbaToVaeInput(image: RgbaImage): Float32Array {
  checkRgbaImage(image, 'The image');
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = f32(2 * f32(image.data[i * 4 + c] / 255)) - 1;
  }
  return out;
}
