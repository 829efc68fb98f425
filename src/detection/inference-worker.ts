// The inference worker thread of a detector process. onnxruntime-node's session.run() blocks
// its calling thread for the whole inference, so it runs here: the detector's main thread keeps
// reading the tap socket, dropping stale frames and answering the daemon while a frame is in
// flight. One frame at a time; the RGB buffer travels both ways by transfer (no copies).
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { letterboxFor } from './letterbox';
import { SESSION_OPTIONS } from './session-options';
import { modelPlugin } from './models';
import type { ModelIO, ModelSettings, OutputTensor } from './models/plugin';
import type { Detection } from './types';

export interface WorkerInit {
  modelPath: string;
  kind: string;
  providers: string[];
  inputSize: number;
  labels: string[];
  scoreThreshold: number;
  nmsIou: number;
  classes: string[] | null;
  minArea: number;
  frameW: number;
  frameH: number;
  threads: number;
  /** Fault injection: block this thread this long after each run (a model far too slow). */
  faultDelayMs: number;
}

export type WorkerIn = { type: 'frame'; seq: number; tsMs: number; rgb: ArrayBuffer };
export type WorkerOut =
  | { type: 'ready'; provider: string; loadMs: number; warnings: string[]; labels: string[] }
  | { type: 'load-error'; message: string }
  | { type: 'result'; seq: number; tsMs: number; detections: Detection[]; inferMs: number; rgb: ArrayBuffer }
  | { type: 'run-error'; seq: number; message: string; rgb: ArrayBuffer };

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('inference-worker must run as a worker thread');

const post = (m: WorkerOut, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

/** Providers this build offers, in config order, always ending with cpu. */
function providerPlan(wanted: string[], warnings: string[]): string[] {
  const have = new Set(ort.listSupportedBackends().map((b) => b.name));
  const plan: string[] = [];
  for (const p of wanted) {
    if (p === 'cpu') continue;
    if (have.has(p)) plan.push(p);
    else warnings.push(`execution provider "${p}" is not in this onnxruntime build; using cpu`);
  }
  plan.push('cpu');
  return plan;
}

async function load(): Promise<{ session: ort.InferenceSession; provider: string; settings: ModelSettings; plugin: ReturnType<typeof modelPlugin> }> {
  const plugin = modelPlugin(init.kind);
  if (!fs.existsSync(init.modelPath)) throw new Error(`detection.model.path: no such file ${init.modelPath}`);
  const bytes = fs.readFileSync(init.modelPath);
  const warnings: string[] = [];
  const plan = providerPlan(init.providers, warnings);
  const t0 = performance.now();
  let session: ort.InferenceSession | null = null;
  let provider = 'cpu';
  for (const p of plan) {
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: [p], ...SESSION_OPTIONS(init.threads) });
      provider = p;
      break;
    } catch (err) {
      const msg = String((err as Error).message ?? err);
      if (p === 'cpu') throw new Error(`detection.model.path: ${init.modelPath} is not a model onnxruntime can load: ${msg.split('\n')[0]}`);
      warnings.push(`execution provider "${p}" failed to start (${msg.split('\n')[0]}); trying the next one`);
    }
  }
  if (!session) throw new Error('no execution provider could load the model');
  const labels = [...(plugin.fixedLabels ?? init.labels)];
  const settings: ModelSettings = {
    inputSize: init.inputSize, labels, scoreThreshold: init.scoreThreshold, nmsIou: init.nmsIou, minArea: init.minArea,
    letterbox: letterboxFor(init.frameW, init.frameH, init.inputSize),
    ...(init.classes ? { classes: new Set(init.classes) } : {}),
  };
  const io: ModelIO = {
    inputs: session.inputMetadata.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] })),
    outputs: session.outputMetadata.map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : [] })),
  };
  plugin.check(io, settings);
  // A warm-up run on a black frame checks what only a run can tell (dynamic output shapes vs
  // labels) and makes the first real frame as fast as the rest; it counts as load time.
  const rgb = new Uint8Array(init.inputSize * init.inputSize * 3);
  await infer(session, plugin, settings, rgb);
  const loadMs = Math.round(performance.now() - t0);
  post({ type: 'ready', provider, loadMs, warnings, labels });
  return { session, provider, settings, plugin };
}

const chw = { buf: new Float32Array(0) };

async function infer(session: ort.InferenceSession, plugin: ReturnType<typeof modelPlugin>, s: ModelSettings, rgb: Uint8Array): Promise<Detection[]> {
  const S = s.inputSize;
  if (rgb.length !== S * S * 3) throw new Error(`tap frame has ${rgb.length} bytes, expected ${S}×${S}×3 = ${S * S * 3}`);
  if (chw.buf.length !== 3 * S * S) chw.buf = new Float32Array(3 * S * S);
  plugin.preprocess(rgb, S, chw.buf);
  const inputName = session.inputNames[0] as string;
  const out = await session.run({ [inputName]: new ort.Tensor('float32', chw.buf, [1, 3, S, S]) });
  const outputs = new Map<string, OutputTensor>();
  for (const name of session.outputNames) {
    const t = out[name];
    if (t) outputs.set(name, { data: t.data as Float32Array, dims: t.dims });
  }
  return plugin.decode(outputs, s);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = await load();
  } catch (err) {
    post({ type: 'load-error', message: String((err as Error).message ?? err) });
    return;
  }
  const { session, settings, plugin } = loaded;
  port!.on('message', (m: WorkerIn) => {
    void (async () => {
      const t0 = performance.now();
      try {
        const detections = await infer(session, plugin, settings, new Uint8Array(m.rgb));
        if (init.faultDelayMs > 0) sleepSync(init.faultDelayMs);
        post({ type: 'result', seq: m.seq, tsMs: m.tsMs, detections, inferMs: performance.now() - t0, rgb: m.rgb }, [m.rgb]);
      } catch (err) {
        post({ type: 'run-error', seq: m.seq, message: String((err as Error).message ?? err), rgb: m.rgb }, [m.rgb]);
      }
    })();
  });
}

void main();
