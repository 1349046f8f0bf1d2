// The TLS the gateway speaks: 1.2 and 1.3 only; for 1.2 only forward-secret AEAD suites (ECDHE with AES-GCM or
// ChaCha20-Poly1305), no CBC (padding oracles, Lucky13) and no static RSA key exchange. The 1.3 suites are named
// too: given only 1.2 names, Node would turn TLS 1.3 off.
import type { ServerOptions } from 'node:https';

export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;

export const TLS13_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

export const TLS_POLICY = {
  minVersion: 'TLSv1.2',
  ciphers: [...TLS13_CIPHERS, ...TLS12_CIPHERS].join(':'),
  honorCipherOrder: true,
} as const satisfies Pick<ServerOptions, 'minVersion' | 'ciphers' | 'honorCipherOrder'>;
