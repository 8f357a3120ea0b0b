import { describe, expect, it } from 'vitest';
import { defaultConfig, logBodyBytesOf, settingsForNextStart, type Config } from '../../../src/config/index.js';

const base = (): Config => defaultConfig();
const edited = (change: (c: Config) => void): Config => {
  const c = structuredClone(base());
  change(c);
  return c;
};

describe('settings a reload leaves for the next start', () => {
  it('names each changed start-only setting, and none for settings applied live', () => {
    expect(settingsForNextStart(base(), base())).toEqual([]);
    expect(settingsForNextStart(base(), edited((c) => { c.server.port = 4000; c.server.execution = 'workers'; }))).toEqual(['server.port', 'server.execution']);
    expect(settingsForNextStart(base(), edited((c) => { c.server.classifier_timeout_ms = 5; }))).toEqual(['server.classifier_timeout_ms']);
    expect(settingsForNextStart(base(), edited((c) => { c.monitoring.enabled = false; c.monitoring.flush_interval_ms = 5000; }))).toEqual(['monitoring.enabled', 'monitoring.flush_interval_ms']);
    // Applied live: the tables (body limits, origins, timeouts), body logging.
    expect(settingsForNextStart(base(), edited((c) => {
      c.server.max_body_bytes = 1024; c.server.sse_heartbeat_ms = 1000; c.monitoring.log_bodies = true; c.monitoring.log_body_max_bytes = 512;
    }))).toEqual([]);
  });

  it('bodies are logged only with monitoring running and log_bodies on', () => {
    expect(logBodyBytesOf(base())).toBe(0);
    const on = edited((c) => { c.monitoring.log_bodies = true; c.monitoring.log_body_max_bytes = 512; });
    expect(logBodyBytesOf(on)).toBe(512);
    expect(logBodyBytesOf(on, false)).toBe(0);
    // Monitoring switched off in the file keeps running until the next start: bodies follow log_bodies.
    expect(logBodyBytesOf(edited((c) => { c.monitoring.enabled = false; c.monitoring.log_bodies = true; c.monitoring.log_body_max_bytes = 512; }), true)).toBe(512);
  });
});
