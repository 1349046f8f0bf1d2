// The persisted logs of every service, newest first (administrators only), with a text filter.
import { useState } from 'react';
import { useLogs } from '../../api/queries';
import { ErrorAlert } from '../../app/error-alert';

export function LogsPage() {
  const [filter, setFilter] = useState('');
  const logs = useLogs(filter);
  return (
    <section className="page">
      <h1>Logs</h1>
      <label>
        Contains
        <input type="search" value={filter} onChange={(event) => setFilter(event.target.value)} />
      </label>
      <ErrorAlert error={logs.error} fallback="The logs could not be read." />
      <table aria-label="Logs">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Level</th>
            <th scope="col">Service</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {(logs.data?.entries ?? []).map((entry) => (
            <tr key={entry.id} className={`level-${entry.level}`}>
              <td>{entry.time ? new Date(entry.time).toLocaleString() : ''}</td>
              <td>{entry.level}</td>
              <td>{entry.service}</td>
              <td>{entry.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
