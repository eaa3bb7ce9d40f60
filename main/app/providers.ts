// attachProviders: the real CHORUS services (docs/providers.md) beside a running server,
// driven by an AgentRuntime whose keys and credentials come from the age vault. The
// vault is unlocked and every entry the config names is checked before the database
// opens (openProvidersVault), so a missing key fails fast and leaves no state behind.

import type { Clock } from '../../core/hlc';
import { AgentRuntime } from '../facts/runtime';
import { neededEntries, runtimeOptions, type ProvidersConfig } from '../facts/config';
import { unlockVault, type PassphraseSource } from '../keys/unlock';
import type { Vault } from '../keys/vault';
import type { Attachment, Running } from './server';

/** Unlocks the vault and checks every entry `config` names; VaultError if one is missing. */
export async function openProvidersVault(path: string, config: ProvidersConfig, passphrase: PassphraseSource): Promise<Vault> {
  const vault = await unlockVault(path, passphrase);
  try {
    const need = neededEntries(config);
    for (const name of need.keys) vault.signerId(name);
    for (const name of need.credentials) vault.credential(name);
  } catch (err) {
    vault.lock();
    throw err;
  }
  return vault;
}

export interface ProvidersAttachment extends Attachment {
  runtime: AgentRuntime;
}

/**
 * Starts the runtime against `running`, reports its breakers on /health and stops it with
 * the server. The vault may be locked once this returns: the signers and request headers
 * hold their own copies.
 */
export function attachProviders(running: Running, config: ProvidersConfig, vault: Vault, clock: Clock): ProvidersAttachment {
  const runtime = new AgentRuntime(runtimeOptions(config, vault, running.url, clock));
  runtime.start();
  running.setHealth(() => providersHealth(runtime));
  return running.adopt({ runtime, stop: () => runtime.stop() });
}

/** /health's view of a runtime: `blocked` past grace, `degraded` in grace or with a breaker not closed. */
export function providersHealth(runtime: AgentRuntime): Record<string, unknown> {
  const h = runtime.health();
  const open = Object.values(h.breakers).some((b) => b.state !== 'closed');
  const status = h.license.status === 'expired' ? 'blocked' : open || h.license.status === 'grace' ? 'degraded' : 'ok';
  return { status, providers: h };
}
