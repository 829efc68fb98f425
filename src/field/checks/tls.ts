// TLS files: readable, parse as PEM, the client key matches its certificate, and nothing
// expires within 30 days (a device in a vehicle may not be reachable for weeks to re-enroll).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type { MqttConfig } from '../../config/schema';
import { fail, pass, warn, type CheckResult } from '../check';

export const EXPIRY_WARN_DAYS = 30;
const DAY_MS = 86_400_000;

function readCert(key: string, file: string): X509Certificate | CheckResult {
  try {
    return new X509Certificate(fs.readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(`tls ${key}`, `${file}: ${code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not readable' : `not a PEM certificate (${(err as Error).message})`}`, 're-run provisioning/enroll.sh with the certificates from the fleet controller');
  }
}

function expiry(key: string, file: string, cert: X509Certificate, now: number): CheckResult {
  const to = Date.parse(cert.validTo);
  const from = Date.parse(cert.validFrom);
  const days = Math.floor((to - now) / DAY_MS);
  const subject = cert.subject.replace(/\n/g, ', ');
  if (now < from) return fail(`tls ${key}`, `${file} (${subject}) not valid before ${cert.validFrom}`, 'check the clock, or get a certificate valid now');
  if (to <= now) return fail(`tls ${key}`, `${file} (${subject}) expired ${cert.validTo}`, 'renew the certificate and re-run provisioning/enroll.sh');
  if (days < EXPIRY_WARN_DAYS) return warn(`tls ${key}`, `${file} (${subject}) expires in ${days} day(s), ${cert.validTo}`, 'renew it now and re-run provisioning/enroll.sh');
  return pass(`tls ${key}`, `${file} (${subject}) valid until ${cert.validTo} (${days} days)`);
}

export function checkTlsFiles(mqtt: MqttConfig, now: number): CheckResult[] {
  const tls = mqtt.tls;
  if (!tls) return mqtt.url.startsWith('mqtts') || mqtt.url.startsWith('wss') ? [pass('tls', 'system CA store, no client certificate')] : [warn('tls', `${mqtt.url} is not encrypted`, 'use mqtts:// with the fleet CA (provisioning/enroll.sh)')];
  const out: CheckResult[] = [];
  if (tls.ca !== undefined) {
    const ca = readCert('ca', tls.ca);
    out.push(ca instanceof X509Certificate ? expiry('ca', tls.ca, ca, now) : ca);
  }
  if (tls.cert !== undefined && tls.key !== undefined) {
    const cert = readCert('cert', tls.cert);
    if (!(cert instanceof X509Certificate)) return [...out, cert];
    out.push(expiry('cert', tls.cert, cert, now));
    try {
      const key = createPrivateKey(fs.readFileSync(tls.key));
      out.push(cert.checkPrivateKey(key) ? pass('tls key', `${tls.key} matches the certificate`)
        : fail('tls key', `${tls.key} does not match ${tls.cert}`, 're-run provisioning/enroll.sh with the key that belongs to the certificate'));
    } catch (err) {
      out.push(fail('tls key', `${tls.key}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 're-run provisioning/enroll.sh with a readable PEM key'));
    }
  }
  return out;
}
