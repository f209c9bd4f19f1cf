import { describe, expect, it } from 'vitest';
import { signalRequested, tracingSwitch } from './tracing-switch.js';

describe('tracingSwitch', () => {
  it('is off when nothing is configured', () => {
    expect(tracingSwitch({})).toMatchObject({ enabled: false });
    expect(tracingSwitch({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).enabled).toBe(false);
    expect(tracingSwitch({ OTEL_TRACES_EXPORTER: '', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }).enabled).toBe(false);
  });

  it('is on with an OTLP endpoint, general or traces-specific', () => {
    expect(tracingSwitch({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toEqual({
      enabled: true,
      reason: 'OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318',
    });
    expect(tracingSwitch({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/v1/traces' }).enabled).toBe(true);
  });

  it('is on with a trace exporter other than none', () => {
    expect(tracingSwitch({ OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(true);
    expect(tracingSwitch({ OTEL_TRACES_EXPORTER: 'Console' }).enabled).toBe(true);
  });

  it('none wins over an endpoint, and so does OTEL_SDK_DISABLED', () => {
    expect(tracingSwitch({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }).enabled).toBe(false);
    expect(tracingSwitch({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(false);
    expect(tracingSwitch({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(true);
  });
});

describe('signalRequested', () => {
  it('is false unless an exporter other than none is named', () => {
    expect(signalRequested({}, 'OTEL_METRICS_EXPORTER')).toBe(false);
    expect(signalRequested({ OTEL_METRICS_EXPORTER: 'none' }, 'OTEL_METRICS_EXPORTER')).toBe(false);
    expect(signalRequested({ OTEL_LOGS_EXPORTER: 'otlp' }, 'OTEL_LOGS_EXPORTER')).toBe(true);
    expect(signalRequested({ OTEL_LOGS_EXPORTER: 'otlp' }, 'OTEL_METRICS_EXPORTER')).toBe(false);
  });
});
