// The operator's keys as React state: the list (never a secret) and a refresh after
// every change. Each mounted user keeps its own copy; changes made through `run` refresh
// every copy in this page, so the keys panel and the action dialog never disagree.

import { useCallback, useEffect, useState } from 'react';
import { ConsoleApiError, describeError, type ConsoleApi, type OperatorKeyInfo, type OperatorKeys } from '../api/ConsoleApi';

const changed = new EventTarget();

export interface KeysModel {
  keys: OperatorKeyInfo[];
  loading: boolean;
  error: string | null;
  /** Runs a key operation, then refreshes every view of the keys; rejects with the operation's error. */
  run<T>(op: (k: OperatorKeys) => Promise<T>): Promise<T>;
  refresh(): void;
  /** The shell can hand out the encrypted key file. */
  canExport: boolean;
  exportFile(id: string): Promise<string>;
  mode: ConsoleApi['mode'];
}

export function useOperatorKeys(api: ConsoleApi): KeysModel {
  const store = api.keys;
  const [keys, setKeys] = useState<OperatorKeyInfo[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    store.list().then(
      (list) => {
        setKeys(list);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        setError(describeError(err));
        setLoading(false);
      },
    );
  }, [store]);

  useEffect(() => {
    refresh();
    const on = () => refresh();
    changed.addEventListener('change', on);
    // Auto-lock happens inside the store: re-read now and then so the padlocks stay true.
    const timer = setInterval(refresh, 15_000);
    return () => {
      changed.removeEventListener('change', on);
      clearInterval(timer);
    };
  }, [refresh]);

  const run = useCallback(
    async <T>(op: (k: OperatorKeys) => Promise<T>): Promise<T> => {
      try {
        return await op(store);
      } finally {
        changed.dispatchEvent(new Event('change'));
      }
    },
    [store],
  );

  const exportFile = useCallback(
    async (id: string): Promise<string> => {
      if (!store.exportFile) throw new ConsoleApiError('not_supported', 'this console cannot export keys', 0);
      return store.exportFile(id);
    },
    [store],
  );

  return { keys, loading, error, run, refresh, canExport: typeof store.exportFile === 'function', exportFile, mode: api.mode };
}
