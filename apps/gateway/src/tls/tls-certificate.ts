// The gateway's TLS identity: a self-signed certificate for the loopback names, made at first start. The private
// key is kept encrypted at rest (encrypted-file lib, file key); the certificate is public and kept as PEM. Its
// SHA-256 fingerprint is what a client pins (logged at start, shown by `aico status`).
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import { EncryptedFile } from '@aico/encrypted-file';
import type { Logger } from '@aico/logging';

export interface TlsMaterial {
  readonly key: Buffer;
  readonly cert: string;
  /** SHA-256 of the DER certificate, colon-separated hex. */
  readonly fingerprint: string;
  readonly validTo: string;
  readonly created: boolean;
}

const VALID_DAYS = 825; // the longest validity browsers accept for a server certificate

export async function loadOrCreateTlsCertificate(dataDir: string, fileKey: Uint8Array, host: string, logger: Logger): Promise<TlsMaterial> {
  const dir = join(dataDir, 'gateway');
  const keyPath = join(dir, 'tls-key.pem.enc');
  const certPath = join(dir, 'tls-cert.pem');
  const files = new EncryptedFile(fileKey);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const exists = await stat(certPath).then(
    () => true,
    () => false,
  );
  if (exists) {
    const cert = await readFile(certPath, 'utf8');
    const expired = new Date(new X509Certificate(cert).validTo).getTime() < Date.now() + 7 * 86_400_000;
    if (!expired) return describe(await files.readFile(keyPath), cert, false);
    logger.warn({ certPath }, 'The gateway certificate expires within a week; making a new one');
  }
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'aico local gateway' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALID_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          ...(['127.0.0.1', 'localhost', '::1'].includes(host)
            ? []
            : [/^[\d.]+$/.test(host) ? { type: 7 as const, ip: host } : { type: 2 as const, value: host }]),
        ],
      },
    ],
  });
  await files.writeFile(keyPath, pems.private);
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  logger.info({ certPath }, 'Made the gateway TLS certificate (its private key is stored encrypted)');
  return describe(await files.readFile(keyPath), pems.cert, true);
}

function describe(key: Buffer, cert: string, created: boolean): TlsMaterial {
  const x509 = new X509Certificate(cert);
  return { key, cert, fingerprint: x509.fingerprint256, validTo: x509.validTo, created };
}
