// GStreamer elements for every configured pipeline, and whether each camera encodes in
// hardware (and if not, why): the same resolver vigild runs at start, against this board's
// registry, without starting anything.
import { resolveAll } from '../../pipeline/plan';
import { probeRegistry } from '../../pipeline/registry';
import { launchElements } from '../../pipeline/launch';
import { createLogger } from '../../log';
import { fail, pass, warn, type CheckResult, type DoctorContext } from '../check';

export async function checkPipelines(ctx: DoctorContext): Promise<CheckResult[]> {
  const config = ctx.config;
  if (!config) return [fail('gstreamer', 'skipped: no valid config', 'fix the config first')];
  let elements: Set<string>;
  try {
    elements = await probeRegistry();
  } catch (err) {
    return [fail('gstreamer', (err as Error).message, 'install the GStreamer packages: sudo provisioning/install.sh')];
  }
  const out: CheckResult[] = [];
  const log = createLogger({ level: 'silent' });
  for (const camera of config.cameras.filter((c) => c.enabled)) {
    try {
      const [plan] = await resolveAll({ ...config, cameras: [camera] }, log, { platform: ctx.platform, elements });
      if (!plan) continue;
      const used = launchElements(plan.buildLaunch('doctor'));
      const missing = used.filter((e) => !elements.has(e));
      out.push(missing.length === 0
        ? pass(`pipeline ${camera.name}`, `${used.length} elements present (${ctx.platform})`)
        : fail(`pipeline ${camera.name}`, `missing GStreamer elements: ${missing.join(', ')}`, 'install the plugin packages for this platform: sudo provisioning/install.sh'));
      const enc = plan.encoder;
      if (enc.hardware) out.push(pass(`encoder ${camera.name}`, `hardware ${enc.element}`));
      else if (camera.encoder.prefer === 'software') out.push(pass(`encoder ${camera.name}`, `software ${enc.element}, as configured (prefer: software)`));
      else out.push(warn(`encoder ${camera.name}`, `software ${enc.element}: ${enc.reason}`, ctx.platform === 'generic'
        ? 'expected on a generic box; keep resolution and fps modest or set prefer: software to acknowledge'
        : `install the ${ctx.platform} hardware encoder plugins (sudo provisioning/install.sh)`));
    } catch (err) {
      out.push(fail(`pipeline ${camera.name}`, (err as Error).message.replace(/\n\s*/g, ' '), 'install the missing plugins or change the camera source/encoder in the config'));
    }
  }
  return out;
}
