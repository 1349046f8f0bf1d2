// System status: each app's readiness (the gateway's /health/ready, refreshed every few seconds, and the heartbeats
// that arrive live) and the monitor's resource samples of the last minutes as a chart.
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { HeartbeatJson } from '@aico/contracts';
import { useReadiness } from '../../api/queries';
import { useServices } from '../../app/app-context';
import { ResourceChart } from './resource-chart';
import { ErrorAlert } from '../../app/error-alert';

const APPS = ['bus', 'keys', 'storage', 'scheduler', 'monitor', 'gateway'] as const;

export function StatusPage() {
  const { live, resources } = useServices();
  const readiness = useReadiness();
  const points = useSyncExternalStore(
    (listener) => resources.subscribe(listener),
    () => resources.current,
  );
  const [heartbeats, setHeartbeats] = useState<ReadonlyMap<string, number>>(new Map());
  useEffect(
    () =>
      live.on('system.health.heartbeat', (event) => {
        const service = (event.payload as HeartbeatJson | null)?.service;
        if (service) setHeartbeats((current) => new Map(current).set(service, Date.now()));
      }),
    [live],
  );

  const report = readiness.data;
  const rows = APPS.map((name) => {
    if (name === 'bus') {
      const roundTrip = report?.bus.roundTripMs;
      return { name, ready: typeof roundTrip === 'number', detail: typeof roundTrip === 'number' ? `round trip ${roundTrip.toFixed(1)} ms` : 'no round trip' };
    }
    const app = report?.apps.find((entry) => entry.service === name);
    return { name, ready: app?.status === 'up', detail: app ? `${app.status}${app.reason ? `: ${app.reason}` : ''}` : 'not seen' };
  });
  const latest = points.at(-1);

  return (
    <section className="page">
      <h1>System status</h1>
      <p className="summary">
        {readiness.isPending
          ? 'Checking…'
          : report?.status === 'ready'
            ? 'aico is ready.'
            : `aico is not ready${report?.missing?.length ? `: waiting for ${report.missing.join(', ')}` : ''}.`}
      </p>
      <ErrorAlert error={readiness.error} fallback="The status could not be read." />
      <ul className="app-grid" aria-label="Apps">
        {rows.map((row) => (
          <li key={row.name} className="card app-card" data-testid="app-status" data-app={row.name} data-ready={String(row.ready)}>
            <span className={`dot ${row.ready ? 'ok' : 'bad'}`} aria-hidden="true" />
            <strong>{row.name}</strong>
            <span className="state">{row.ready ? 'ready' : 'not ready'}</span>
            <span className="hint">{row.detail}</span>
            {heartbeats.has(row.name) ? <span className="hint">heartbeat {new Date(heartbeats.get(row.name)!).toLocaleTimeString()}</span> : null}
          </li>
        ))}
      </ul>
      <h2>Resources</h2>
      <p className="hint">
        <span data-testid="sample-count">{points.length}</span> samples in the last 5 minutes
        {latest ? ` · CPU ${latest.cpuPercent.toFixed(0)} % · memory ${latest.memoryUsedPercent.toFixed(0)} %` : ' · waiting for the monitor'}
        {latest?.batteryPercent !== undefined ? ` · battery ${latest.batteryPercent.toFixed(0)} %${latest.onBattery ? ' (on battery)' : ''}` : ''}
      </p>
      <ResourceChart points={points} windowMs={5 * 60_000} />
    </section>
  );
}
