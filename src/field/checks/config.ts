// Config valid: the same loader vigild uses at boot, so doctor and the daemon agree.
import { ConfigError } from '../../config/load';
import { fail, pass, type CheckResult, type DoctorContext } from '../check';

export function checkConfig(ctx: DoctorContext, error: unknown): CheckResult[] {
  if (ctx.config) return [pass('config', `${ctx.configPath} valid: device ${ctx.config.device.id}, ${ctx.config.cameras.length} camera(s)`)];
  if (error instanceof ConfigError) {
    const missing = error.lines.some((l) => /cannot read file: ENOENT/.test(l));
    return [fail('config', missing ? `${ctx.configPath} not found` : `${ctx.configPath} invalid: ${error.lines.join('; ')}`,
      missing ? 'run provisioning/install.sh, then provisioning/enroll.sh' : 'fix the fields named above (provisioning/config.example.yaml documents every key)')];
  }
  return [fail('config', `${ctx.configPath}: ${String((error as Error)?.message ?? error)}`, 'check the file is readable YAML')];
}
