import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Where `command` would be run from, as a process spawned without a shell finds it: a name with a
 * slash is a path (relative to `cwd`), any other name is looked up in `PATH` (with `PATHEXT` on
 * Windows). Null when there is no executable file there.
 */
export function findCommand(command: string, cwd: string, env: NodeJS.ProcessEnv): string | null {
  if (command.includes('/') || command.includes(path.sep)) {
    const file = path.resolve(cwd, command);
    return isExecutableFile(file) ? file : null;
  }
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const ext of exts) {
      const file = path.join(dir, command + ext);
      if (isExecutableFile(file)) return file;
    }
  }
  return null;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
