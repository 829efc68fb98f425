// Every `vigil` verb, in usage-screen order. One file per verb; the dispatcher (vigil.ts)
// knows nothing else about them.
import type { CliVerb } from '../verb';
import { callVerb } from './call';
import { camerasVerb } from './cameras';
import { doctorVerb } from './doctor';
import { eventsVerb } from './events';
import { logsVerb } from './logs';
import { pipelineVerb } from './pipeline';
import { segmentsVerb } from './segments';
import { statusVerb } from './status';
import { clipsVerb } from './clips';

export const VERBS: readonly CliVerb[] = [
  statusVerb,
  camerasVerb,
  pipelineVerb,
  segmentsVerb,
  clipsVerb,
  eventsVerb,
  doctorVerb,
  logsVerb,
  callVerb,
];
