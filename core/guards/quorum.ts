// Council quorum certificate (docs/protocol.md §6): at least `threshold` distinct council voters,
// each a proposed member, every signature valid, all over the hash of the proposed
// member set, and for the council region's current epoch (old votes cannot be replayed).

import { H } from '../hash';
import { compareUtf8 } from '../canonical';
import { voteSigningBytes } from '../crypto';
import { signersWithRole, type State } from '../state';
import type { SignerId, Vote } from '../types';
import { fail, pass, type GuardContext, type GuardResult } from './types';

/** H(members sorted byte-wise): the member-set hash votes are cast over. */
export function memberSetHash(members: readonly SignerId[]): string {
  return H([...members].sort(compareUtf8));
}

/** Council-role signers of the genesis that have not been ejected. */
export function eligibleMembers(state: State): Set<SignerId> {
  const ejected = new Set(state.council.ejected);
  return new Set(signersWithRole(state, 'council').filter((s) => !ejected.has(s)));
}

export function quorumGuard(ctx: GuardContext): GuardResult {
  const {
    members,
    member_set_hash: claimed,
    votes,
  } = ctx.proposal.inputs as unknown as {
    members: SignerId[];
    member_set_hash: string;
    votes: Vote[];
  };
  const problems: string[] = [];
  const eligible = eligibleMembers(ctx.state);
  const ejected = new Set(ctx.state.council.ejected);
  for (const m of members) {
    if (eligible.has(m)) continue;
    if (ejected.has(m)) problems.push(`member ${m} was ejected from the council (Council_ReElect)`);
    else problems.push(`member ${m} is not a council-role signer of the genesis`);
  }
  const actual = memberSetHash(members);
  if (claimed !== actual) problems.push(`member_set_hash ${claimed} is not H(sorted members) ${actual}`);
  const threshold = ctx.state.council.threshold;
  if (members.length < threshold) problems.push(`${members.length} members cannot reach threshold ${threshold}`);
  const counted = countVotes(ctx, votes, new Set(members), actual, problems);
  if (counted.size < threshold) problems.push(`${counted.size} valid distinct votes, threshold ${threshold}`);
  if (problems.length > 0) return fail('quorum', problems);
  return pass('quorum', [
    `${counted.size} of ${members.length} members voted (threshold ${threshold}) over ${actual} at council epoch ${ctx.state.epoch.council}`,
  ]);
}

function countVotes(
  ctx: GuardContext,
  votes: readonly Vote[],
  members: ReadonlySet<SignerId>,
  setHash: string,
  problems: string[],
): Set<SignerId> {
  const counted = new Set<SignerId>();
  const epoch = ctx.state.epoch.council;
  for (const [i, vote] of votes.entries()) {
    const where = `vote[${i}] by ${vote.voter}`;
    if (!members.has(vote.voter)) problems.push(`${where}: voter is not a proposed member`);
    else if (counted.has(vote.voter)) problems.push(`${where}: duplicate voter`);
    else if (vote.member_set_hash !== setHash) problems.push(`${where}: cast over ${vote.member_set_hash}, not the proposed set`);
    else if (vote.council_epoch !== epoch) problems.push(`${where}: council_epoch ${vote.council_epoch}, current is ${epoch}`);
    else if (!ctx.verifier.verify(vote.voter, voteSigningBytes(vote), vote.signature)) problems.push(`${where}: signature does not verify`);
    else counted.add(vote.voter);
  }
  return counted;
}
