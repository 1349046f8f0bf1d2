// Privacy: consent per purpose (a switch each; essential purposes cannot be switched off) and the history of every
// decision, newest first. Changes made elsewhere (another tab, a service) arrive as pushes and refresh both.
import { useState } from 'react';
import { MEMORY_CONSENT_PURPOSE } from '@aico/contracts/browser';
import { Link } from 'react-router';
import { useAppState } from '../../app/app-context';
import { useConsent, useConsentHistory, useSetConsent } from '../../api/queries';
import { ErrorAlert } from '../../app/error-alert';

const PURPOSE_TEXT: Readonly<Record<string, string>> = {
  [MEMORY_CONSENT_PURPOSE]: 'Remember what we talk about across conversations.',
  voice: 'Listen to and speak with voice.',
  telemetry: 'Keep usage statistics on this machine to improve aico.',
};

type ConsentState = NonNullable<ReturnType<typeof useConsent>['data']>['purposes'][number];
type ConsentDecision = NonNullable<ReturnType<typeof useConsentHistory>['data']>['history'][number];

export function PrivacyPage() {
  const consent = useConsent();
  const history = useConsentHistory();
  const setConsent = useSetConsent();
  const memoryWithdrawn = useAppState((state) => state.memoryWithdrawn);
  // The choice shows at once (a controlled checkbox would otherwise snap back until the cache catches up).
  const [choices, setChoices] = useState<Readonly<Record<string, boolean>>>({});
  const choose = (purpose: string, granted: boolean) => {
    setChoices((current) => ({ ...current, [purpose]: granted }));
    setConsent.mutate(
      { purpose, granted },
      {
        onSettled: () => setChoices((current) => Object.fromEntries(Object.entries(current).filter(([name]) => name !== purpose))),
      },
    );
  };
  const error = consent.error ?? history.error ?? setConsent.error;
  const decisions = [...(history.data?.history ?? [])].reverse();

  return (
    <section className="page">
      <h1>Privacy</h1>
      <p className="hint">Nothing here leaves this machine. A purpose you have not allowed is denied.</p>
      <ErrorAlert error={error} fallback="Consent could not be read or changed." />
      {memoryWithdrawn ? (
        <p role="status" className="card notice" data-testid="memory-withdrawn">
          Memory is off: everything aico remembered about you was deleted ({memoryWithdrawn.deletedFacts} facts). <Link to="/memory">See the memory page.</Link>
        </p>
      ) : null}
      <ul className="purposes">
        {(consent.data?.purposes ?? []).map((purpose) => (
          <PurposeSwitch
            key={purpose.purpose}
            purpose={purpose}
            checked={choices[purpose.purpose] ?? purpose.granted}
            onChange={(granted) => choose(purpose.purpose, granted)}
          />
        ))}
      </ul>
      <h2>History</h2>
      <ConsentHistory decisions={decisions} />
    </section>
  );
}

function PurposeSwitch({ purpose, checked, onChange }: { purpose: ConsentState; checked: boolean; onChange: (granted: boolean) => void }) {
  return (
    <li className="card purpose">
      <label className="switch-row">
        <span>
          <strong>{purpose.purpose}</strong>
          <span className="hint">{PURPOSE_TEXT[purpose.purpose] ?? ''}</span>
          {purpose.essential ? <span className="hint">Essential: always on.</span> : null}
        </span>
        <input
          type="checkbox"
          role="switch"
          aria-label={purpose.purpose}
          checked={checked}
          disabled={purpose.essential}
          onChange={(event) => onChange(event.target.checked)}
        />
      </label>
    </li>
  );
}

/** Every decision, newest first. */
function ConsentHistory({ decisions }: { decisions: readonly ConsentDecision[] }) {
  return (
    <table aria-label="Consent history">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Purpose</th>
          <th scope="col">Decision</th>
          <th scope="col">Made in</th>
        </tr>
      </thead>
      <tbody>
        {decisions.length === 0 ? (
          <tr>
            <td colSpan={4} className="empty">
              No decisions yet.
            </td>
          </tr>
        ) : (
          decisions.map((decision, index) => (
            <tr key={`${decision.recordedAt ?? ''}-${decision.purpose}-${index}`}>
              <td>{decision.recordedAt ? new Date(decision.recordedAt).toLocaleString() : ''}</td>
              <td>{decision.purpose}</td>
              <td className={decision.granted ? 'granted' : 'denied'}>{decision.granted ? 'granted' : 'denied'}</td>
              <td>{decision.source}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
