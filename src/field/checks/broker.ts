// Broker reachable with the device's own settings (URL, credentials, TLS), plus the TLS files.
// The doctor connects under its own client id so it never takes over the daemon's session.
import mqtt from 'mqtt';
import { buildConnectPlan } from '../../fleet/mqtt-options';
import { fail, pass, type CheckResult, type DoctorContext } from '../check';
import { checkTlsFiles } from './tls';

const CONNECT_TIMEOUT_MS = 5000;

function tryConnect(url: string, options: mqtt.IClientOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { ...options, reconnectPeriod: 0, connectTimeout: CONNECT_TIMEOUT_MS });
    let settled = false;
    const done = (why: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      resolve(why);
    };
    const timer = setTimeout(() => done(`no CONNACK within ${CONNECT_TIMEOUT_MS / 1000} s`), CONNECT_TIMEOUT_MS + 500);
    client.once('connect', () => done(null));
    client.once('error', (err) => done(err.message));
    client.once('close', () => done('connection closed before CONNACK'));
  });
}

export async function checkBroker(ctx: DoctorContext): Promise<CheckResult[]> {
  const config = ctx.config;
  if (!config) return [fail('broker', 'skipped: no valid config', 'fix the config first')];
  const m = config.mqtt;
  if (!m) return [fail('broker', 'no broker configured (mqtt section absent): events only queue locally', 'enroll the device: sudo provisioning/enroll.sh --device-id ID --broker mqtts://HOST:8883 --ca ca.crt --cert dev.crt --key dev.key')];
  const out = checkTlsFiles(m, ctx.now());
  if (out.some((r) => r.level === 'FAIL')) return [...out, fail('broker', `${m.url}: not tried, TLS files are unusable`, 'fix the TLS files first')];
  let plan;
  try {
    const clientId = `${m.client_id ?? `vigil-${config.device.id}`}-doctor-${process.pid}`;
    plan = buildConnectPlan(m, { clientId, will: { topic: `${m.topic_prefix}/${config.device.id}/doctor`, payload: '' } });
  } catch (err) {
    return [...out, fail('broker', (err as Error).message, 'fix the file named above')];
  }
  // No last will: the doctor's own disconnect must not publish anything.
  delete plan.options.will;
  const why = await tryConnect(m.url, plan.options);
  out.push(why === null ? pass('broker', `${m.url} reachable, connected as ${plan.options.clientId}`)
    : fail('broker', `${m.url} unreachable: ${why}`, 'check the network route and firewall to the broker, the credentials and the certificates'));
  return out;
}
