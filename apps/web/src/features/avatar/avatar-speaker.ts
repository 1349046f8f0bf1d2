// The avatar page as a Speaker for the SpeechQueue: `speak` settles when the avatar's speech ends (its `speechEnd`,
// finished or interrupted) or when the page refuses the command. The page answers `speak` with speechStart/speechEnd
// events, not an ack, so the speech is recognised by the id of the first speechStart after the command was sent (the
// queue sends one at a time).
import { AvatarCommandError, EXPRESSIONS, MAX_SPEAK_TEXT_LENGTH, type AvatarHost, type Expression } from '@aico/avatar-protocol';
import type { Speaker } from './speech-queue';

export function avatarSpeaker(host: () => AvatarHost | undefined): Speaker {
  return {
    speak: (text, expression) =>
      new Promise<void>((resolve) => {
        const avatar = host();
        if (!avatar) {
          resolve();
          return;
        }
        const mood = EXPRESSIONS.find((name): name is Expression => name === expression);
        if (mood) void avatar.send({ type: 'setExpression', expression: mood, transitionMs: 250 }).catch(() => undefined);
        let speechId: string | undefined;
        const stops = [
          avatar.on('speechStart', (event) => {
            speechId ??= event.id;
          }),
          avatar.on('speechEnd', (event) => {
            if (event.id === speechId) done();
          }),
        ];
        function done() {
          for (const stop of stops) stop();
          resolve();
        }
        avatar.send({ type: 'speak', text: text.slice(0, MAX_SPEAK_TEXT_LENGTH) }).catch((error: unknown) => {
          // No ack ever comes for speak, so its timeout says nothing; any other failure means it will not be said.
          if (!(error instanceof AvatarCommandError && error.code === 'TIMEOUT')) done();
        });
      }),
    stop: () =>
      void host()
        ?.send({ type: 'stop' })
        .catch(() => undefined),
  };
}
