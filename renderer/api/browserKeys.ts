// Placeholder: the browser-mode operator key store (owned by the console-actions work).
import { ConsoleApiError, type OperatorKeys } from './ConsoleApi';

const notYet = (): Promise<never> => Promise.reject(new ConsoleApiError('not_built', 'operator keys are not built yet', 0));

export function createBrowserKeys(): OperatorKeys {
  return { list: async () => [], create: notYet, importFile: notYet, unlock: notYet, lock: notYet, remove: notYet, sign: notYet };
}
