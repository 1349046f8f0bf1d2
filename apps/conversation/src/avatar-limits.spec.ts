// The avatar protocol's limits are repeated in this service (its lib is typed for browsers): held together here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXPRESSIONS } from './persona/persona-rules';
import { MAX_SPEECH_CHARS } from './turns/sentence-splitter';

const source = (file: string) => readFileSync(join(__dirname, '..', '..', '..', 'libs', 'avatar-protocol', 'src', file), 'utf8');

describe('the avatar protocol limits this service repeats', () => {
  it('the longest speech is the protocol’s MAX_SPEAK_TEXT_LENGTH', () => {
    expect(source('protocol.ts')).toContain(`export const MAX_SPEAK_TEXT_LENGTH = ${MAX_SPEECH_CHARS};`);
  });

  it('the persona’s expressions are the protocol’s EXPRESSIONS', () => {
    expect(source('expressions.ts')).toContain(`export const EXPRESSIONS = [${EXPRESSIONS.map((e) => `'${e}'`).join(', ')}] as const;`);
  });
});
