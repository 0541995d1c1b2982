/**
 * An ImageBitmap's 8-bit RGBA pixels as the file holds them (not premultiplied by alpha): what PIL's
 * convert("RGB") reads for diffusers and `sharp` for the CLI. A 2D canvas is read first (every browser
 * has one); a canvas keeps premultiplied pixels, so where any pixel is translucent its colour is lost
 * (alpha 0 reads as black) and the pixels are read again through a WebGL2 texture, which keeps the
 * bitmap's own values (createImageBitmap with premultiplyAlpha 'none'; WebGL 2.0 spec §5.14.8,
 * texImage2D from an ImageBitmap ignores the UNPACK_* flags and takes the bitmap as it is).
 */

/** RGBA (H, W, 4), top row first; exact for opaque pictures, and for translucent ones where WebGL2 exists. */
export function bitmapPixels(bitmap: ImageBitmap): Uint8ClampedArray {
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('this browser has no 2D canvas to read pixels with');
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, width, height);
  if (isOpaque(data)) return data;
  return unpremultipliedPixels(bitmap) ?? data;
}

export function isOpaque(rgba: Uint8ClampedArray | Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** The bitmap through a WebGL2 RGBA8 texture and readPixels; null where WebGL2 is missing or fails. */
function unpremultipliedPixels(bitmap: ImageBitmap): Uint8ClampedArray | null {
  const { width, height } = bitmap;
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2', { premultipliedAlpha: false });
  if (!gl) return null;
  try {
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    const framebuffer = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return null;
    // Framebuffer row 0 is texture row 0, which texImage2D filled from the bitmap's top row.
    const out = new Uint8ClampedArray(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, out);
    return gl.getError() === gl.NO_ERROR ? out : null;
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}
