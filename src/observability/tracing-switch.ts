/** Whether tracing runs, and why (for the start-up log line). */
export interface TracingSwitch {
  readonly enabled: boolean;
  readonly reason: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `OTEL_*` list variables: comma-separated, case-insensitive, blanks dropped (as the SDK reads them). */
function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'null');
}

/**
 * The rule, decided from the standard variables only:
 *
 * - `OTEL_SDK_DISABLED=true` → off;
 * - `OTEL_TRACES_EXPORTER` set → on, unless it is `none` (the SDK reads only
 *   the first entry for `none`, and so does this);
 * - else `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`
 *   set → on, exporting OTLP there;
 * - else off: the SDK is not even loaded, and no span is made.
 *
 * Unlike the SDK, nothing set means off, not "OTLP to localhost:4318": a
 * gateway started without a collector must not try to reach one.
 */
export function tracingSwitch(env: Env): TracingSwitch {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporters = list(env, 'OTEL_TRACES_EXPORTER');
  if (exporters.length > 0) {
    return exporters[0] === 'none'
      ? { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' }
      : { enabled: true, reason: `OTEL_TRACES_EXPORTER=${exporters.join(',')}` };
  }
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    if (env[name]?.trim()) return { enabled: true, reason: `${name}=${env[name]!.trim()}` };
  }
  return { enabled: false, reason: 'no trace exporter configured (set OTEL_TRACES_EXPORTER or OTEL_EXPORTER_OTLP_ENDPOINT)' };
}

/**
 * Whether the user asked for OTLP metrics or logs (`OTEL_METRICS_EXPORTER`,
 * `OTEL_LOGS_EXPORTER` set to something other than `none`). The SDK would
 * default both to OTLP; shardgate's metrics are Prometheus at /metrics, so
 * they are off unless asked for.
 */
export function signalRequested(env: Env, variable: 'OTEL_METRICS_EXPORTER' | 'OTEL_LOGS_EXPORTER'): boolean {
  const exporters = list(env, variable);
  return exporters.length > 0 && !exporters.includes('none');
}
