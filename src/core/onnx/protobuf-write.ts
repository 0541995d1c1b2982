/**
 * The protobuf wire format's writing half, for the few ONNX messages the engine builds (graph
 * rewrites such as precise-group-norm.ts): varints (int64 two's complement for negatives), keys,
 * length-delimited fields. Messages are byte arrays concatenated in field order.
 */

const encoder = new TextEncoder();

/** A varint; negative numbers as int64 two's complement (10 bytes), as protobuf writes int64. */
export function varint(value: number): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return Uint8Array.from(out);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Field `number` with a varint value (wire type 0). */
export function varintField(number: number, value: number): Uint8Array {
  return concatBytes([varint(number * 8), varint(value)]);
}

/** Field `number` with a length-delimited payload (wire type 2): bytes, a string or an embedded message. */
export function bytesField(number: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === 'string' ? encoder.encode(payload) : payload;
  return concatBytes([varint(number * 8 + 2), varint(bytes.length), bytes]);
}

/** Field `number` with a float32 value (wire type 5, little-endian). */
export function fixed32Field(number: number, value: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setFloat32(0, value, true);
  return concatBytes([varint(number * 8 + 5), payload]);
}
