import { LocalRouterError } from '../errors/index.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
};

/** A filesystem failure as a one-line LR_ERR_CONFIG_IO naming the file and what was being done. */
export function ioError(file: string, action: string, err: unknown): LocalRouterError {
  const code = (err as { code?: unknown } | null)?.code;
  const why = typeof code === 'string' && code in REASONS ? `${REASONS[code]} (${code})`
    : err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new LocalRouterError('LR_ERR_CONFIG_IO', `${file}: cannot ${action}: ${why}`, { cause: err });
}

/** The errno-style code of a thrown value, if any. */
export function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
