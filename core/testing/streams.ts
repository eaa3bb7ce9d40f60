// The test kit's entry point for seeded workloads: tests import the PRNG, the stream
// driver, the fault builders and the stream runners from here. They live in
// core/workload/ (the chaos command and the conformance vectors use them too; production
// code imports them from there, never from core/testing/, which core/tidy.test.ts enforces).

export { mulberry32, type Prng } from '../workload/rng';
export {
  ACCEPT,
  happyStep,
  StreamDriver,
  type Expect,
  type Intent,
  type StreamEntry,
  type StreamOptions,
  type StreamRun,
} from '../workload/driver';
export { applyFault, FAULT_KINDS, type FaultKind } from '../workload/faults';
export { runLoops, runStream } from '../workload/streams';
