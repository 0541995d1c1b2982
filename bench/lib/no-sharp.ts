/** Stands in for `sharp` (native image library) in the GPU bundle: transformers.js imports it, the tokenizer never calls it. */
export default function sharp(): never {
  throw new Error('sharp is not part of the benchmark bundle');
}
