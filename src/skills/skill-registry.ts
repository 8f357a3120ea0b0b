import { existsSync, readdirSync, readFileSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { loadSkills, SKILL_FILE, type LoadedSkill } from './load-skills.js';
import type { SkillIssue } from './skill-types.js';

/** Editors save in bursts (temp file, rename, chmod): one reload per burst. */
const RELOAD_DEBOUNCE_MS = 150;
/** Largest file `skills__read` returns. */
const MAX_READ_BYTES = 256 * 1024;
const MAX_LISTED_FILES = 200;

export interface SkillRegistryEvents {
  /** The set of skills (or one of them) changed after a reload. */
  changed(): void;
  /** Problems found by a load (each skill with problems is left out). */
  issues(issues: readonly SkillIssue[]): void;
}

/**
 * The skills of the configured paths, loaded and kept current: every path is watched (recursively)
 * and a change reloads all of them; `changed` fires only when what was loaded differs.
 */
export class SkillRegistry {
  readonly #events: SkillRegistryEvents;
  #paths: string[] = [];
  #skills = new Map<string, LoadedSkill>();
  #issues: SkillIssue[] = [];
  #signature = '';
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(events: SkillRegistryEvents) {
    this.#events = events;
  }

  get skills(): ReadonlyMap<string, LoadedSkill> { return this.#skills; }
  get issues(): readonly SkillIssue[] { return this.#issues; }

  /** Takes the configured paths; loads (and watches) them again if they changed. */
  configure(paths: readonly string[]): void {
    const next = paths.map((p) => path.resolve(p));
    if (next.join('\n') === this.#paths.join('\n')) return;
    this.#paths = next;
    this.#rewatch();
    this.reload();
  }

  /** Loads every path again; tells `changed` when the result differs from what was loaded before. */
  reload(): void {
    if (this.#closed) return;
    const set = loadSkills(this.#paths);
    this.#issues = set.issues;
    if (set.issues.length > 0) this.#events.issues(set.issues);
    const signature = JSON.stringify(set.skills.map((s) => s.def));
    this.#skills = new Map(set.skills.map((s) => [s.def.name, s]));
    if (signature !== this.#signature) {
      const first = this.#signature === '';
      this.#signature = signature;
      if (!first) this.#events.changed();
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }

  #rewatch(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    for (const p of this.#paths) {
      // A path that does not exist yet is watched through its parent, so creating it is seen.
      const target = existsSync(p) ? p : path.dirname(p);
      if (!existsSync(target)) continue;
      try {
        const w = watch(target, { recursive: statSync(target).isDirectory(), persistent: false }, () => this.#schedule());
        w.on('error', () => undefined);
        this.#watchers.push(w);
      } catch {
        // Unwatchable (permissions, too many watches): still loaded now and on config reloads.
      }
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.reload(), RELOAD_DEBOUNCE_MS);
  }
}

/**
 * A file of a skill's folder for `skills__read`: `SKILL.md` by default (then with the list of the
 * folder's other files). The path must stay inside the folder (no `..`, no absolute path, no
 * symlink out of it) and the file must be at most 256 KB of text.
 */
export function readSkillFile(skill: LoadedSkill, file: string | undefined): { text: string } | { error: string } {
  const dir = skill.def.dir;
  const rel = file === undefined || file === '' ? SKILL_FILE : file;
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..') || rel.includes('\0')) return { error: `"${rel.slice(0, 200)}" is not a path inside the skill's folder` };
  try {
    const realDir = realpathSync(dir);
    const real = realpathSync(path.join(dir, rel));
    if (real !== realDir && !real.startsWith(realDir + path.sep)) return { error: `"${rel}" leads outside the skill's folder` };
    const st = statSync(real);
    if (!st.isFile()) return { error: `"${rel}" is not a file` };
    if (st.size > MAX_READ_BYTES) return { error: `"${rel}" is larger than ${MAX_READ_BYTES / 1024} KB` };
    const text = readFileSync(real, 'utf8');
    if (rel !== SKILL_FILE) return { text };
    const others = listFiles(realDir).filter((f) => f !== SKILL_FILE);
    return { text: others.length === 0 ? text : `${text}\n\n---\nFiles in this skill (read one with skills__read and its path): ${others.join(', ')}` };
  } catch {
    return { error: `no file "${rel}" in skill "${skill.def.name}"` };
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (out.length >= MAX_LISTED_FILES || e.name.startsWith('.')) continue;
      if (e.isDirectory()) walk(path.join(d, e.name), `${prefix}${e.name}/`);
      else if (e.isFile()) out.push(`${prefix}${e.name}`);
    }
  };
  walk(dir, '');
  return out.sort();
}
