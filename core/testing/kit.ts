// The test kit's fixtures entry point: tests import the cast, the genesis and the signed
// document builders from here. They live in core/fixtures/ (the demo, the chaos workload
// and the vectors use them too; production code imports them from there, never from
// core/testing/, which core/tidy.test.ts enforces).

export {
  DEFAULT_EPOCH_MS,
  makeCast,
  makeGenesis,
  testKey,
  type Cast,
  type CastOptions as KitOptions,
  type NamedKey,
} from '../fixtures/cast';
export { castVote, fakeHash, licenseToken, mcpReport, quorumInputs, signProposal, type ProposalDraft } from '../fixtures/documents';
export { wallAt, windowIdAt } from '../fixtures/time';
