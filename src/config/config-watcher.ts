import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { LocalRouterError, toLocalRouterError } from '../errors/index.js';
import type { Config } from './schema.js';
import { isEmptyYaml, parseConfig } from './parse-config.js';
import { errCode, ioError } from './io-error.js';

/** Editors and our own saves emit bursts of events; one reload per burst is enough. */
const DEBOUNCE_MS = 50;
/** A file seen missing is usually mid-replace (delete + create); look again once before reporting. */
const MISSING_RETRY_MS = 250;
/**
 * A change is taken only once two reads this far apart agree, so a file caught halfway through a
 * non-atomic write (an editor or `cat > config.yaml`) is not loaded for the moment it is cut off.
 */
const SETTLE_MS = 100;

/**
 * Watches a config file and reports each valid change once. Watches the directory, not the file,
 * because editors save by writing a new file and renaming it over the old one. Invalid content is
 * reported through `onError` and nothing else happens: the caller keeps the config it has.
 */
export class ConfigWatcher {
  readonly #file: string;
  readonly #base: string;
  readonly #onChange: (cfg: Config) => void;
  readonly #onError: (err: LocalRouterError) => void;
  readonly #watcher: FSWatcher;
  #timer: NodeJS.Timeout | undefined;
  #lastText: string | undefined;
  #lastConfig: string | undefined;
  #inForce: Config | undefined;
  #unsettled: string | undefined;
  #missingSince = false;
  #closed = false;

  /**
   * `inForce` is the config the caller runs with, read from `file`: changes are measured against it
   * (without it, the file is read and parsed once more for a baseline).
   */
  constructor(file: string, onChange: (cfg: Config) => void, onError: (err: LocalRouterError) => void, inForce?: Config) {
    this.#file = path.resolve(file);
    this.#base = path.basename(this.#file);
    this.#onChange = onChange;
    this.#onError = onError;
    if (inForce === undefined) {
      this.#readBaseline();
    } else {
      this.#inForce = inForce;
      this.#lastConfig = JSON.stringify(inForce);
    }
    try {
      this.#watcher = watch(path.dirname(this.#file), { persistent: false }, (_event, name) => {
        // Temp, backup and lock files share the directory; only the config's own name matters.
        if (name === null || name === this.#base) this.#schedule(DEBOUNCE_MS);
      });
    } catch (err) {
      throw ioError(this.#file, 'watch config', err);
    }
    this.#watcher.on('error', (err) => this.#report(ioError(this.#file, 'watch config', err)));
  }

  /** Stops watching; no callback runs afterwards. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher.close();
  }

  #readBaseline(): void {
    try {
      this.#lastText = readFileSync(this.#file, 'utf8');
      this.#inForce = parseConfig(this.#lastText, this.#file);
      this.#lastConfig = JSON.stringify(this.#inForce);
    } catch {
      // No valid baseline: the first valid content seen will be reported as a change.
    }
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#reload(), ms);
  }

  #reload(): void {
    if (this.#closed) return;
    let text: string;
    try {
      text = readFileSync(this.#file, 'utf8');
    } catch (err) {
      if (errCode(err) === 'ENOENT' && !this.#missingSince) {
        this.#missingSince = true;
        this.#schedule(MISSING_RETRY_MS);
        return;
      }
      this.#missingSince = false;
      this.#lastText = undefined;
      this.#report(ioError(this.#file, 'read config', err));
      return;
    }
    this.#missingSince = false;
    if (text === this.#lastText) {
      this.#unsettled = undefined;
      return;
    }
    if (text !== this.#unsettled) {
      this.#unsettled = text;
      this.#schedule(SETTLE_MS);
      return;
    }
    this.#unsettled = undefined;
    this.#lastText = text;
    let config: Config;
    try {
      if (isEmptyYaml(text)) {
        throw new LocalRouterError('LR_ERR_CONFIG_INVALID', `${this.#file}: the file is empty; a running gateway does not reload an empty config`);
      }
      config = parseConfig(text, this.#file);
      this.#refuseLostLists(config);
    } catch (err) {
      this.#report(toLocalRouterError(err));
      return;
    }
    const serialized = JSON.stringify(config);
    // Comment or formatting edits change the text but not the config in force.
    if (serialized === this.#lastConfig) return;
    this.#lastConfig = serialized;
    this.#inForce = config;
    try {
      this.#onChange(config);
    } catch (err) {
      this.#report(toLocalRouterError(err));
    }
  }

  /**
   * A file that drops every provider or every client where the config in force had some is far more
   * often a truncated or botched edit than an intent; it needs `allow_empty: true` to be taken.
   */
  #refuseLostLists(next: Config): void {
    const prev = this.#inForce;
    if (prev === undefined || next.allow_empty === true) return;
    const lost = [
      prev.providers.length > 0 && next.providers.length === 0 ? `all ${prev.providers.length} providers` : null,
      prev.clients.length > 0 && next.clients.length === 0 ? `all ${prev.clients.length} clients` : null,
    ].filter((x): x is string => x !== null);
    if (lost.length === 0) return;
    throw new LocalRouterError('LR_ERR_CONFIG_INVALID',
      `${this.#file}: the new file removes ${lost.join(' and ')}; set "allow_empty: true" in it if that is intended`);
  }

  #report(err: LocalRouterError): void {
    if (this.#closed) return;
    try {
      this.#onError(err);
    } catch {
      // An error handler that throws has nowhere left to report to; keep watching.
    }
  }
}
