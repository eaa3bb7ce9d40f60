import { fail, pass, type GuardContext, type GuardResult } from './types';

/** Boot_ConfigOk: the operator confirms the genesis this orchestrator was started from. */
export function configGuard(ctx: GuardContext): GuardResult {
  const claimed = ctx.proposal.inputs.config_hash;
  const actual = ctx.state.meta.genesis_hash;
  if (claimed !== actual) return fail('config', [`config_hash ${String(claimed)} is not H(genesis) ${actual}`]);
  return pass('config', [`genesis ${actual} confirmed`]);
}
