import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliReference, configurationReference } from '../../../scripts/docs-reference.js';

const read = (file: string): string => fs.readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');

describe('generated reference docs match the code (after a change: npm run docs)', () => {
  it('docs/cli.md is the help of every command', () => {
    const text = cliReference();
    for (const command of ['serve', 'providers add', 'clients create', 'doctor', 'prices set', 'service install', 'completion']) {
      expect(text).toContain(`## localrouter ${command}\n`);
    }
    expect(read('docs/cli.md')).toBe(text);
  });

  it('docs/configuration.md lists every config field with its type and default', () => {
    const text = configurationReference();
    expect(text).toMatch(/^\| `server\.port` \| integer \| `3625` \|/m);
    expect(text).toMatch(/^\| `strategies\[\]\.auto\.threshold` \| number \| unset \| Route to the strong list iff the classifier score \(0\.\.1, expected gain of the strong model\) >= threshold\. \|$/m);
    expect(read('docs/configuration.md')).toBe(text);
  });
});
