// One OpenTelemetry span per accepted transition, carrying guard reasons and evidence
// refs. The exporter is a setting: none (default), console, or memory (tests).

import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { Engine } from '../engine/engine';

export type TraceExporterKind = 'none' | 'console' | 'memory';

export interface Tracing {
  provider: BasicTracerProvider | null;
  memory: InMemorySpanExporter | null;
  stop(): Promise<void>;
}

export function traceEngine(engine: Engine, kind: TraceExporterKind = 'none'): Tracing {
  if (kind === 'none') return { provider: null, memory: null, stop: async () => {} };
  const memory = kind === 'memory' ? new InMemorySpanExporter() : null;
  const exporter: SpanExporter = memory ?? new ConsoleSpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('swoosh');
  const unsubscribe = engine.subscribe((e) => {
    if (e.type !== 'accepted') return;
    const r = e.record;
    const end = r.accepted_at_ms;
    const span = tracer.startSpan(`transition ${r.transition}`, {
      startTime: end - Math.max(0, e.latency_ms),
      attributes: {
        'swoosh.index': r.index,
        'swoosh.transition': r.transition,
        'swoosh.signer': r.signer,
        'swoosh.hlc': r.hlc,
        'swoosh.window_id': r.window_id ?? '',
        'swoosh.state_pre_hash': r.state_pre_hash,
        'swoosh.state_post_hash': r.state_post_hash,
        'swoosh.evidence': r.evidence,
        'swoosh.guards': r.guard_outcomes.map((g) => `${g.guard}:${g.ok ? 'ok' : 'fail'}: ${g.reasons.join('; ')}`),
      },
    });
    span.setStatus({ code: SpanStatusCode.OK });
    span.end(end);
  });
  return {
    provider,
    memory,
    stop: async () => {
      unsubscribe();
      await provider.shutdown();
    },
  };
}
