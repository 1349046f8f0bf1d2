// What a master password must be: long enough to resist offline guessing against the wrapped key even with
// Argon2id's cost. 12+ characters from at least three classes, or a passphrase of 20+ characters.
import { KeyManagerError, KeyManagerErrorCode } from './key-manager.error';

export const MIN_PASSWORD_LENGTH = 12;
export const PASSPHRASE_LENGTH = 20;

const CLASSES: readonly [string, RegExp][] = [
  ['a lowercase letter', /\p{Ll}/u],
  ['an uppercase letter', /\p{Lu}/u],
  ['a digit', /\p{Nd}/u],
  ['a symbol or space', /[^\p{L}\p{Nd}]/u],
];

/** The problems with a password, as sentences; empty when it is acceptable. */
export function passwordProblems(password: string): string[] {
  const length = [...password].length;
  if (length >= PASSPHRASE_LENGTH) return [];
  const problems: string[] = [];
  if (length < MIN_PASSWORD_LENGTH)
    problems.push(`it has ${length} characters; use at least ${MIN_PASSWORD_LENGTH} (or a passphrase of ${PASSPHRASE_LENGTH}+)`);
  const missing = CLASSES.filter(([, pattern]) => !pattern.test(password)).map(([name]) => name);
  if (missing.length > 1) problems.push(`mix at least three kinds of characters; it lacks ${missing.join(', ')}`);
  return problems;
}

export function assertPasswordPolicy(password: string, what = 'The master password'): void {
  const problems = passwordProblems(password);
  if (problems.length > 0) {
    throw new KeyManagerError(KeyManagerErrorCode.WeakPassword, `${what} is too weak: ${problems.join('; ')}.`);
  }
}
