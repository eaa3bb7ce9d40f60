// The guard registry: the names the statechart YAML may use, each a pure function of
// (state, proposal, HLC wall time) returning {ok, reasons}.

import { configGuard } from './config';
import { allReadyGuard, approvalGuard, approvalsGuard } from './execution';
import { licenseGuard } from './license';
import { mcpGuard } from './mcp';
import { migrationBypassGuard, migrationOrderGuard } from './migration';
import { policyGuard, policyUpdateGuard } from './policy';
import { quorumGuard } from './quorum';
import type { GuardDef } from './types';

export const GUARDS: Readonly<Record<string, GuardDef>> = {
  config: { name: 'config', check: configGuard },
  license: { name: 'license', check: licenseGuard },
  quorum: { name: 'quorum', check: quorumGuard },
  mcp: { name: 'mcp', check: mcpGuard },
  policy: { name: 'policy', check: policyGuard, divert: 'breach' },
  policy_version: { name: 'policy_version', check: policyUpdateGuard },
  all_ready: { name: 'all_ready', check: allReadyGuard },
  approval: { name: 'approval', check: approvalGuard },
  approvals: { name: 'approvals', check: approvalsGuard },
  migration_order: { name: 'migration_order', check: migrationOrderGuard },
  migration_bypass: { name: 'migration_bypass', check: migrationBypassGuard },
};

export const GUARD_NAMES: readonly string[] = Object.keys(GUARDS);

export type { GuardContext, GuardDef, GuardResult } from './types';
