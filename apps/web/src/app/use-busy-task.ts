// One change at a time from a screen: whether one is running, and the error of the last one (cleared when the next
// one starts), for the buttons to disable and an ErrorAlert to show.
import { useState } from 'react';

export function useBusyTask(): { busy: boolean; error: unknown; run: (task: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (task: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await task();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
