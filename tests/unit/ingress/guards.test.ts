import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../src/config/index.js';
import { RequestGuards } from '../../../src/ingress/index.js';

const server = (extra: object = {}) => ConfigSchema.parse({ server: extra }).server;

describe('RequestGuards', () => {
  it('allows loopback Host names with any port, refuses others and an empty Host', () => {
    const g = new RequestGuards(server());
    for (const h of ['localhost', 'localhost:3625', '127.0.0.1:9', '[::1]:3625', '[::1]', 'LOCALHOST:1']) expect(g.hostAllowed(h)).toBe(true);
    for (const h of ['', 'evil.com', 'evil.com:3625', 'localhost.evil.com', '127.0.0.1.nip.io:3625', '[::2]:1']) expect(g.hostAllowed(h)).toBe(false);
  });

  it('honours allowed_hosts and allowed_origins', () => {
    const g = new RequestGuards(server({ allowed_hosts: ['gw.lan'], allowed_origins: ['https://app.example/'] }));
    expect(g.hostAllowed('gw.lan:3625')).toBe(true);
    expect(g.originAllowed('https://app.example')).toBe(true);
    expect(g.originAllowed('https://app.example.evil')).toBe(false);
  });

  it('allows no Origin and loopback origins; refuses foreign and malformed ones', () => {
    const g = new RequestGuards(server());
    for (const o of ['', 'http://localhost:5173', 'https://127.0.0.1', 'http://[::1]:80']) expect(g.originAllowed(o)).toBe(true);
    for (const o of ['null', 'https://evil.com', 'http://localhost.evil.com', 'file://localhost', 'garbage']) expect(g.originAllowed(o)).toBe(false);
  });
});
