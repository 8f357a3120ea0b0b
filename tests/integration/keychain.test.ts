import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSecretStore } from '../../src/secrets/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WITH_KEYRING = path.join(ROOT, 'scripts/with-keyring.sh');
const FIXTURE = path.join(ROOT, 'tests/integration/fixtures/keychain-roundtrip.ts');

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Runs the round-trip fixture in a child node and returns its JSON line. */
function runFixture(command: string[], env: NodeJS.ProcessEnv): { status: number | null; result: Record<string, unknown>; stderr: string } {
  const child = spawnSync(command[0], command.slice(1), { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`fixture printed no JSON (exit ${child.status}, signal ${child.signal}):\n${child.stdout}\n${child.stderr}`);
  }
  return { status: child.status, result, stderr: child.stderr };
}

describe('OS keychain backend (gnome-keyring over a private D-Bus session)', () => {
  // The keychain round trip runs in a child process inside a private D-Bus session with an unlocked
  // gnome-keyring (tests/integration/fixtures/keychain-roundtrip.ts checks what the store does there).
  it('scripts/with-keyring.sh gives a child process a working keychain', (ctx) => {
    const missing = ['dbus-run-session', 'gnome-keyring-daemon'].filter((tool) => !onPath(tool));
    // Reported as skipped with the exact reason, so a stock machine stays green and the gap stays
    // visible; CI (.ci/run) installs both, and there the round trip must pass.
    if (missing.length > 0) {
      if (process.env.CI) expect(missing, 'CI must provide a Secret Service: apt-get install -y --no-install-recommends gnome-keyring dbus').toEqual([]);
      ctx.skip(`no Secret Service can be started here: ${missing.join(' and ')} not on PATH `
        + '(Debian: apt-get install -y --no-install-recommends gnome-keyring dbus)');
    }
    const { LOCALROUTER_SECRETS_BACKEND: _b, ...env } = process.env;
    const { status, result, stderr } = runFixture([WITH_KEYRING, process.execPath, '--import', 'tsx', FIXTURE], env);
    expect(result, stderr).toEqual({
      backend: 'keychain',
      readBack: true,
      reopenedReadBack: true,
      otherHomeSees: false,
      filesInHome: [],
      deleted: true,
      afterDelete: null,
      deletedAgain: false,
    });
    expect(status).toBe(0);
  });

  it('auto falls back to the encrypted file when no Secret Service answers', () => {
    const { LOCALROUTER_SECRETS_BACKEND: _b, ...env } = process.env;
    const { status, result } = runFixture([process.execPath, '--import', 'tsx', FIXTURE], {
      ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(os.tmpdir(), 'lr-no-such-bus')}`,
    });
    expect(result).toMatchObject({ backend: 'file', readBack: true, reopenedReadBack: true, otherHomeSees: false });
    expect((result.filesInHome as string[]).sort()).toEqual(['secrets.enc', 'secrets.key']);
    expect(status).toBe(0);
  });
});
