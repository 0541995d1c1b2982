/**
 * The graph inputs of an ONNX file (name, element type, dims as numbers or symbolic names) read
 * straight from its protobuf, without creating a session: what `freeDimensionOverrides` needs to
 * know before the session exists. Reads ModelProto.graph (7) -> GraphProto.input (11) ->
 * ValueInfoProto {name (1), type (2) -> TypeProto.tensor_type (1) -> {elem_type (1), shape (2) ->
 * dim (1) -> {dim_value (1) | dim_param (2)}}} and skips everything else (initializers included).
 */

export interface GraphInput {
  name: string;
  elemType: number;
  dims: (number | string | null)[];
}

class Reader {
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly end = bytes.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
  }

  /** Next field: its number, wire type and, for length-delimited fields, a reader over the payload. */
  field(): { no: number; wire: number; value: number; sub?: Reader } {
    const key = this.varint();
    const no = Math.floor(key / 8);
    const wire = key % 8;
    switch (wire) {
      case 0:
        return { no, wire, value: this.varint() };
      case 1:
        this.pos += 8;
        return { no, wire, value: 0 };
      case 5:
        this.pos += 4;
        return { no, wire, value: 0 };
      case 2: {
        const length = this.varint();
        const sub = new Reader(this.bytes, this.pos + length);
        sub.pos = this.pos;
        this.pos += length;
        return { no, wire, value: length, sub };
      }
      default:
        throw new Error(`Unsupported protobuf wire type ${wire}: not an ONNX model?`);
    }
  }

  text(): string {
    return new TextDecoder().decode(this.bytes.subarray(this.pos, this.end));
  }
}

function* fields(reader: Reader) {
  while (!reader.done) yield reader.field();
}

function readInput(reader: Reader): GraphInput {
  const input: GraphInput = { name: '', elemType: 0, dims: [] };
  for (const f of fields(reader)) {
    if (f.no === 1 && f.sub) input.name = f.sub.text();
    if (f.no !== 2 || !f.sub) continue;
    for (const t of fields(f.sub)) {
      if (t.no !== 1 || !t.sub) continue; // tensor_type
      for (const tt of fields(t.sub)) {
        if (tt.no === 1) input.elemType = tt.value;
        if (tt.no !== 2 || !tt.sub) continue; // shape
        for (const d of fields(tt.sub)) {
          if (d.no !== 1 || !d.sub) continue;
          let dim: number | string | null = null;
          for (const v of fields(d.sub)) {
            if (v.no === 1) dim = v.value;
            if (v.no === 2 && v.sub) dim = v.sub.text();
          }
          input.dims.push(dim);
        }
      }
    }
  }
  return input;
}

/** Graph inputs of an ONNX ModelProto (initializers listed as inputs by old exporters included). */
export function graphInputs(model: Uint8Array): GraphInput[] {
  const inputs: GraphInput[] = [];
  for (const f of fields(new Reader(model))) {
    if (f.no !== 7 || !f.sub) continue;
    for (const g of fields(f.sub)) if (g.no === 11 && g.sub) inputs.push(readInput(g.sub));
  }
  return inputs;
}

/**
 * freeDimensionOverrides for a session: each symbolic dim of the named inputs mapped to the size
 * the request will feed (`expected`: input name -> dims). Names whose sizes would disagree are left
 * free and reported.
 */
export function freeDimensionOverrides(inputs: GraphInput[], expected: Record<string, number[]>): { overrides: Record<string, number>; conflicts: string[] } {
  const overrides: Record<string, number> = {};
  const conflicts = new Set<string>();
  for (const input of inputs) {
    const sizes = expected[input.name];
    if (!sizes) continue;
    input.dims.forEach((dim, axis) => {
      if (typeof dim !== 'string' || sizes[axis] === undefined) return;
      if (dim in overrides && overrides[dim] !== sizes[axis]) conflicts.add(dim);
      overrides[dim] = sizes[axis];
    });
  }
  for (const name of conflicts) delete overrides[name];
  return { overrides, conflicts: [...conflicts] };
}
