import { LocalRouterError } from '../errors/index.js';

const MAX_NAME_LENGTH = 256;

/** Secret names end up in file keys and keychain account names, so keep them printable and bounded. */
export function assertSecretName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new LocalRouterError('LR_ERR_SECRET_STORE',
      `secret name must be 1-${MAX_NAME_LENGTH} printable characters`);
  }
}

/** Values are checked for type only; their content must never reach a message. */
export function assertSecretValue(value: string): void {
  if (typeof value !== 'string') {
    throw new LocalRouterError('LR_ERR_SECRET_STORE', 'secret value must be a string');
  }
}

/** Short error detail that is safe to show: a system error code or the first line of a message. */
export function describeCause(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0].slice(0, 200);
}
