/**
 * A minimal protobuf wire-format reader for ONNX files (onnx.proto3 messages): the fields of one
 * message in order, each a varint value or the [start, end) of its payload, never copied. Lengths
 * and offsets are read with arithmetic, not bit operations, because they may pass 2^31.
 */
export interface ProtobufField {
  number: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  wire: number;
  /** The varint's value, or the payload length for wire type 2. */
  value: number;
  start: number;
  end: number;
  /** Where the field's key begins: bytes[begin, end) is the whole field, to copy it unchanged. */
  begin: number;
}

export class ProtobufError extends Error {}

export function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i + 1];
    scale *= 128;
  }
  throw new ProtobufError(`truncated varint at byte ${at}`);
}

/** A packed repeated varint field's values (its payload is bytes[start, end)). */
export function packedVarints(bytes: Uint8Array, start: number, end: number): number[] {
  const out: number[] = [];
  for (let at = start; at < end; ) {
    const [value, next] = readVarint(bytes, at);
    out.push(value);
    at = next;
  }
  return out;
}

/** The fields of the message in bytes[start, end), in order. */
export function* protobufFields(bytes: Uint8Array, start: number, end: number): Generator<ProtobufField> {
  let at = start;
  while (at < end) {
    const begin = at;
    const [key, afterKey] = readVarint(bytes, at);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    at = afterKey;
    switch (wire) {
      case 0: {
        const [value, next] = readVarint(bytes, at);
        yield { number, wire, value, start: at, end: next, begin };
        at = next;
        break;
      }
      case 1:
      case 5: {
        const size = wire === 1 ? 8 : 4;
        yield { number, wire, value: 0, start: at, end: at + size, begin };
        at += size;
        break;
      }
      case 2: {
        const [length, payload] = readVarint(bytes, at);
        at = payload + length;
        if (at > end) throw new ProtobufError(`field ${number} runs past its message (byte ${payload} + ${length} > ${end})`);
        yield { number, wire, value: length, start: payload, end: at, begin };
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wire} (field ${number}) at byte ${afterKey}`);
    }
    if (at > end) throw new ProtobufError(`message ends inside field ${number}`);
  }
}
