// onnxruntime session options of the detector, in their own module so the bench's bare loop
// (which must not load the worker's entry code) uses exactly the same ones.
import type * as ort from 'onnxruntime-node';

/**
 * Shared with the bench's bare loop so both measure the same thing. Spinning is off: onnxruntime's
 * intra-op threads otherwise busy-wait between runs, burning the cores the encoder needs.
 */
export const SESSION_OPTIONS = (threads: number): ort.InferenceSession.SessionOptions => ({
  intraOpNumThreads: threads, graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } },
});

