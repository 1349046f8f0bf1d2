// Field names whose values are secrets. pino replaces them wherever a log call passes them, up to three levels deep.
const SECRET_FIELDS = [
  'password',
  'newPassword',
  'oldPassword',
  'passphrase',
  'secret',
  'secretKey',
  'privateKey',
  'masterKey',
  'curveSecretKey',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'authorization',
  'cookie',
];

export const REDACTED = '[redacted]';

export const redactPaths: string[] = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);
