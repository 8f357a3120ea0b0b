import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LocalRouterError } from '../errors/index.js';
import { assertSecretName, assertSecretValue, describeCause } from './names.js';
import { writeFileAtomic } from './atomic-write.js';

export const SECRETS_FILE = 'secrets.enc';
export const KEY_FILE = 'secrets.key';
export const PASSPHRASE_ENV = 'LOCALROUTER_SECRETS_PASSPHRASE';

const FORMAT_VERSION = 1;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 16;
// scrypt cost: ~100 ms and 32 MiB once per store; maxmem must exceed 128*N*r.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

type Kdf = 'keyfile' | 'scrypt';

/** On-disk shape. Everything except iv/tag/data is bound into the GCM tag as associated data. */
interface Envelope {
  v: number;
  kdf: Kdf;
  salt?: string;
  iv: string;
  tag: string;
  data: string;
}

/** AES-256-GCM file of a JSON name-to-value map, rewritten whole on every change. */
export class FileSecretStore {
  readonly backend = 'file' as const;
  readonly #file: string;
  readonly #keyFile: string;
  readonly #passphrase: string | undefined;
  #scryptCache: { salt: string; key: Buffer } | undefined;

  constructor(absHome: string) {
    this.#file = path.join(absHome, SECRETS_FILE);
    this.#keyFile = path.join(absHome, KEY_FILE);
    const passphrase = process.env[PASSPHRASE_ENV];
    this.#passphrase = passphrase === undefined || passphrase === '' ? undefined : passphrase;
  }

  get(name: string): string | undefined {
    assertSecretName(name);
    return this.#read().entries.get(name);
  }

  set(name: string, value: string): void {
    assertSecretName(name);
    assertSecretValue(value);
    const { entries, salt } = this.#read();
    entries.set(name, value);
    this.#write(entries, salt);
  }

  delete(name: string): boolean {
    assertSecretName(name);
    const { entries, salt } = this.#read();
    if (!entries.delete(name)) return false;
    this.#write(entries, salt);
    return true;
  }

  #read(): { entries: Map<string, string>; salt: string | undefined } {
    let raw: string;
    try {
      raw = fs.readFileSync(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new Map(), salt: undefined };
      throw storeError(`cannot read ${this.#file}: ${describeCause(err)}`, err);
    }
    const envelope = parseEnvelope(raw, this.#file);
    const key = envelope.kdf === 'scrypt' ? this.#scryptKey(envelope.salt as string) : this.#existingKeyFileKey();
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'), { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(envelope.kdf, envelope.salt));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      const hint = envelope.kdf === 'scrypt' ? `wrong ${PASSPHRASE_ENV} or the file was modified`
        : `${KEY_FILE} does not match or the file was modified`;
      throw storeError(`cannot decrypt ${this.#file}: ${hint}`);
    }
    return { entries: parsePlaintext(plain, this.#file), salt: envelope.kdf === 'scrypt' ? envelope.salt : undefined };
  }

  /** Encrypts with the current mode: the passphrase if set (reusing the file's salt), else the key file. */
  #write(entries: Map<string, string>, existingSalt: string | undefined): void {
    let kdf: Kdf;
    let salt: string | undefined;
    let key: Buffer;
    if (this.#passphrase !== undefined) {
      kdf = 'scrypt';
      salt = existingSalt ?? randomBytes(SALT_BYTES).toString('base64');
      key = this.#scryptKey(salt);
    } else {
      kdf = 'keyfile';
      key = this.#keyFileKeyCreatingIfMissing();
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(kdf, salt));
    const data = Buffer.concat([cipher.update(JSON.stringify(Object.fromEntries(entries)), 'utf8'), cipher.final()]);
    const envelope: Envelope = {
      v: FORMAT_VERSION, kdf, ...(salt === undefined ? {} : { salt }),
      iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64'),
    };
    this.#ensureHome();
    try {
      writeFileAtomic(this.#file, `${JSON.stringify(envelope)}\n`);
    } catch (err) {
      throw storeError(`cannot write ${this.#file}: ${describeCause(err)}`, err);
    }
  }

  #scryptKey(salt: string): Buffer {
    if (this.#passphrase === undefined) {
      throw storeError(`${this.#file} is passphrase-protected: set ${PASSPHRASE_ENV}`);
    }
    if (this.#scryptCache?.salt !== salt) {
      this.#scryptCache = { salt, key: scryptSync(this.#passphrase, Buffer.from(salt, 'base64'), KEY_BYTES, SCRYPT) };
    }
    return this.#scryptCache.key;
  }

  #existingKeyFileKey(): Buffer {
    const key = this.#readKeyFile();
    if (key === undefined) throw storeError(`${this.#keyFile} is missing, so ${this.#file} cannot be decrypted`);
    return key;
  }

  /** Creates the key once; `link` fails if another process won the race, and then we use its key. */
  #keyFileKeyCreatingIfMissing(): Buffer {
    const existing = this.#readKeyFile();
    if (existing !== undefined) return existing;
    this.#ensureHome();
    const tmp = `${this.#keyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileAtomic(tmp, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
      fs.linkSync(tmp, this.#keyFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw storeError(`cannot create ${this.#keyFile}: ${describeCause(err)}`, err);
      }
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    return this.#existingKeyFileKey();
  }

  #readKeyFile(): Buffer | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.#keyFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storeError(`cannot read ${this.#keyFile}: ${describeCause(err)}`, err);
    }
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== KEY_BYTES) throw storeError(`${this.#keyFile} is corrupt (expected ${KEY_BYTES} bytes)`);
    return key;
  }

  #ensureHome(): void {
    try {
      fs.mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw storeError(`cannot create ${path.dirname(this.#file)}: ${describeCause(err)}`, err);
    }
  }
}

function associatedData(kdf: Kdf, salt: string | undefined): Buffer {
  return Buffer.from(`localrouter-secrets:v${FORMAT_VERSION}:${kdf}:${salt ?? ''}`, 'utf8');
}

function parseEnvelope(raw: string, file: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw storeError(`${file} is corrupt (not JSON)`);
  }
  const e = value as Partial<Envelope> | null;
  const isB64 = (s: unknown): s is string => typeof s === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
  if (e === null || typeof e !== 'object' || e.v !== FORMAT_VERSION || (e.kdf !== 'keyfile' && e.kdf !== 'scrypt')
    || !isB64(e.iv) || Buffer.from(e.iv, 'base64').length !== IV_BYTES
    || !isB64(e.tag) || Buffer.from(e.tag, 'base64').length !== TAG_BYTES || !isB64(e.data)
    || (e.kdf === 'scrypt' && (!isB64(e.salt) || Buffer.from(e.salt, 'base64').length !== SALT_BYTES))) {
    throw storeError(`${file} is corrupt or from an unknown format version`);
  }
  return e as Envelope;
}

function parsePlaintext(plain: string, file: string): Map<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(plain);
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)
    || !Object.values(value).every((v) => typeof v === 'string')) {
    throw storeError(`${file} decrypted to an unexpected shape`);
  }
  return new Map(Object.entries(value as Record<string, string>));
}

function storeError(message: string, cause?: unknown): LocalRouterError {
  return new LocalRouterError('LR_ERR_SECRET_STORE', message, cause === undefined ? {} : { cause });
}
