"""prepare_model: turns a diffusers Stable Diffusion v1 checkpoint (a local save_pretrained directory) into the
web-ready ONNX folder the engine runs fastest on WebGPU, in diffusers' ONNX layout:

  model_index.json  scheduler/  tokenizer/ (vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json)
  text_encoder/model.onnx   input_ids int32 [batch, sequence] -> last_hidden_state, pooler_output
  unet/model.onnx + unet/weights.pb   sample [batch, 4, h, w], timestep float32 [batch], encoder_hidden_states -> out_sample
                            (+ timestep_cond float32 [batch, time_cond_proj_dim] for an LCM-distilled UNet)
  vae_decoder/model.onnx    latent_sample -> sample        vae_encoder/model.onnx   sample -> latent_sample (the mean)
  optional: taesd_decoder/, taesd_encoder/ (--taesd DIR, an AutoencoderTiny), safety_checker/ + feature_extractor/
            (the checkpoint's StableDiffusionSafetyChecker: clip_input, images -> out_images, has_nsfw_concepts)
  --lora FILE[:WEIGHT]      LoRAs fused into the UNet and text encoder before the export (lora.py)
  */config.json             the diffusers configs (the engine reads unet sample_size and the VAE scaling_factor)
  prepare_model.json        how this folder was made: options, versions, operator counts, fp32 islands

Per model, in this order (tools/README.md says why):
  1. export fp32 with torch.onnx.export (TorchScript exporter, opset 17, dynamic axes);
  2. onnxruntime's transformer optimizer on the fp32 graph (optimize_model, opt_level 0) with only the
     fusions whose fused operators have WebGPU kernels: Attention / MultiHeadAttention with separate
     Q, K, V (no packed QKV/KV: "not implemented for webgpu"), BiasAdd, Gelu/BiasGelu,
     LayerNormalization, SkipLayerNormalization; BiasSplitGelu only for --fp32 (its fp16 kernel fails on
     an H100). GroupNorm, SkipGroupNorm and NhwcConv stay off: the WebGPU EP has no kernel for them;
  3. fp16 (onnxruntime.transformers.float16) keeping in fp32 what loses precision in fp16: the UNet's
     sinusoidal time embedding (timestep * frequencies, sin, cos: the arguments reach 1000, where
     fp16 steps by 0.5; PyTorch computes it in fp32 too) and the float32 `timestep` input, the UNet's
     Conv (fp16 WebGPU convolutions put the result 10x further from PyTorch than PyTorch's own fp16;
     their weights are stored fp16 and widened at load; --fp16-conv opts out), plus --keep-fp32-ops;
  4. optionally static shapes (--static-shapes): every symbolic input dim fixed for one size.

The fused-op check after step 2 fails loudly if the optimizer produced an operator the WebGPU EP
lacks. numpy >= 2 made int()/float() of one-element arrays an error ("only 0-dimensional arrays can
be converted to Python scalars"), which stops onnxruntime's optimizer in places (e.g. num_heads
detection for PyTorch 2 exports): with_numpy_compat() retries with lenient int()/float() in the one
module that failed, and says so.

  python3 tools/prepare_model.py CHECKPOINT_DIR OUT_DIR [--work-dir DIR] [--disable-fusion attention] ...
  python3 tools/sdprep CHECKPOINT_DIR OUT_DIR ...  (the same)
  python3 -m pytest tools/tests                    (the tests; the pure helpers need numpy only)

Needs torch, diffusers, transformers, onnx and onnxruntime (its Python package has the optimizer).

Modules, one per stage: export (torch -> fp32 ONNX), optimise (fusions, WebGPU check), fp16 (conversion,
fp32 islands), shards (streaming save into weight files), folder (model_index.json, configs), run (the
parts in child processes, prepare_model.json), cli (options); graph and numpy_compat are shared helpers.
"""
