/**
 * diffusers' warning when a pipeline is made without its safety checker (StableDiffusionPipeline.__init__,
 * pipelines/stable_diffusion/pipeline_stable_diffusion.py, `safety_checker=None`), word for word but for
 * the class name: shown by every surface that turns the checker off (CLI --no-safety-checker, the app's
 * setting, the element's attribute in its README).
 */
export const SAFETY_CHECKER_OFF_WARNING =
  'You have disabled the safety checker. Ensure that you abide to the conditions of the Stable Diffusion license and do not expose unfiltered' +
  ' results in services or applications open to the public. Both the diffusers team and Hugging Face' +
  ' strongly recommend to keep the safety filter enabled in all public facing circumstances, disabling' +
  ' it only for use-cases that involve analyzing network behavior or auditing its results. For more' +
  ' information, please have a look at https://github.com/huggingface/diffusers/pull/254 .';
