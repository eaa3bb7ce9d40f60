// MCP tooling health (docs/protocol.md §6): a report signed by the genesis MCP signer in which
// every pinned tool is present, reachable and at exactly the pinned version, observed no
// longer than max_age_ms before the proposal's HLC (nor more than max_drift_ms after it).

import { mcpSigningBytes } from '../crypto';
import type { McpReport } from '../types';
import { fail, pass, type GuardContext, type GuardResult } from './types';

export function mcpGuard(ctx: GuardContext): GuardResult {
  const report = ctx.proposal.inputs.report as unknown as McpReport;
  const cfg = ctx.state.council.mcp;
  const problems: string[] = [];
  if (report.signer !== cfg.signer) problems.push(`report signer ${report.signer} is not the genesis MCP signer`);
  else if (!ctx.verifier.verify(cfg.signer, mcpSigningBytes(report), report.signature)) problems.push('report signature does not verify');
  const age_ms = ctx.wall_ms - report.observed_ms;
  if (age_ms > cfg.max_age_ms) problems.push(`report is ${age_ms} ms old, max_age_ms ${cfg.max_age_ms}`);
  if (-age_ms > ctx.state.meta.max_drift_ms)
    problems.push(`report observed ${-age_ms} ms after the proposal, max_drift_ms ${ctx.state.meta.max_drift_ms}`);
  const tools = new Map(report.tools.map((t) => [t.name, t]));
  for (const [name, pinned] of Object.entries(cfg.pins).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const tool = tools.get(name);
    if (!tool) problems.push(`pinned tool ${name} missing from the report`);
    else if (!tool.reachable) problems.push(`tool ${name} unreachable`);
    else if (tool.version !== pinned) problems.push(`tool ${name} at ${tool.version}, pinned ${pinned}`);
  }
  if (problems.length > 0) return fail('mcp', problems);
  return pass('mcp', [
    `${Object.keys(cfg.pins).length} pinned tools reachable at their pins; report ${age_ms} ms old from ${report.registry}`,
  ]);
}
