// One change at a time from a screen: whether one is running, and the error of the last one (cleared when the next
// one starts), for the buttons to disable and an ErrorAlert to show. A screen that shows one error for several kinds of
// change passes its own setter (`reportTo`), and the error goes there instead.
import { useState } from 'react';

export function useBusyTask(reportTo?: (error: unknown) => void): { busy: boolean; error: unknown; run: (task: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setOwnError] = useState<unknown>();
  const setError = reportTo ?? setOwnError;
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
