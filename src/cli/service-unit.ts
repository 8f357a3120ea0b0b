import os from 'node:os';
import path from 'node:path';

/** What a service definition runs: `node bin/localrouter --home <home> serve`, with the installing shell's PATH. */
export interface ServiceSpec {
  node: string;
  bin: string;
  home: string;
  /** PATH for the gateway (STDIO MCP servers such as `npx` are found through it). */
  pathEnv: string;
  /** Seconds systemd/launchd wait after SIGTERM: the gateway's shutdown grace plus a margin. */
  stopTimeoutS: number;
}

export const SYSTEMD_UNIT = 'localrouter.service';
export const LAUNCHD_LABEL = 'dev.localrouter.gateway';

/** `~/.config/systemd/user/localrouter.service` (or under `$XDG_CONFIG_HOME`). */
export function systemdUnitPath(env: NodeJS.ProcessEnv): string {
  const config = env.XDG_CONFIG_HOME?.trim() || path.join(env.HOME ?? os.homedir(), '.config');
  return path.join(config, 'systemd', 'user', SYSTEMD_UNIT);
}

/** `~/Library/LaunchAgents/dev.localrouter.gateway.plist`. */
export function launchdPlistPath(env: NodeJS.ProcessEnv): string {
  return path.join(env.HOME ?? os.homedir(), 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
}

/** A word of a systemd command line: double-quoted, with `\`, `"`, `%` and `$` escaped as systemd.service(5) says. */
function systemdWord(word: string): string {
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** A value of an `Environment=` assignment: the whole `NAME=value` quoted, `%` escaped. */
function systemdAssignment(name: string, value: string): string {
  return `"${name}=${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** A systemd user unit that starts the gateway at login and restarts it if it fails. */
export function systemdUnit(s: ServiceSpec): string {
  return `# Written by: localrouter service install. Remove with: localrouter service uninstall
[Unit]
Description=LocalRouter: local LLM and MCP gateway

[Service]
Type=simple
ExecStart=${[s.node, s.bin, '--home', s.home, 'serve'].map(systemdWord).join(' ')}
Environment=${systemdAssignment('PATH', s.pathEnv)}
Restart=on-failure
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=${s.stopTimeoutS}

[Install]
WantedBy=default.target
`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A launchd agent that starts the gateway at login, keeps it running unless it exits cleanly, and logs to the data dir. */
export function launchdPlist(s: ServiceSpec): string {
  const args = [s.node, s.bin, '--home', s.home, 'serve'].map((a) => `    <string>${xml(a)}</string>`).join('\n');
  const log = xml(path.join(s.home, 'gateway.log'));
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by: localrouter service install. Remove with: localrouter service uninstall -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PATH</key>
    <string>${xml(s.pathEnv)}</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ExitTimeOut</key>
  <integer>${s.stopTimeoutS}</integer>
  <key>StandardOutPath</key>
  <string>${log}</string>
  <key>StandardErrorPath</key>
  <string>${log}</string>
</dict>
</plist>
`;
}
