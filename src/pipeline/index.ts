// Public surface of the pipeline module: detect the board, probe GStreamer, build a camera's launch string.
export { detectPlatform, isPlatform, PLATFORMS, type Platform } from './platform';
export { parseInspectListing, probeRegistry, GST_INSPECT, type ProbeOptions } from './registry';
export {
  loadTemplates,
  parseTemplates,
  findPipelinesDir,
  renderTemplate,
  TemplateError,
  type TemplateSet,
  type PlatformTemplates,
  type EncoderCandidate,
  type SourceTemplate,
  type Codec,
  type SourceKind,
} from './templates';
export { resolveEncoder, resolveSource, encoderCandidates, keyframeFrames, type EncoderChoice, type ResolveContext } from './resolve';
export { buildPipeline, describePipeline, redactLaunch, toFraction, type ResolvedPipeline, type BuildOptions } from './build';
export { splitLaunch, launchElements, lintLaunch } from './launch';
