/**
 * @module config
 * The gateway's YAML config: where it lives, readable validation errors (file, path, reason),
 * defaults on first run, crash-safe saves with backups, locked read-modify-write for concurrent
 * editors, and a watcher that hands a running gateway each valid change.
 */
export {
  ConfigSchema, NAME_PATTERN, PROVIDER_TYPE_NAMES, type Config, type ServerConfig, type ProviderConfig, type ClientConfig, type PriceOverride, type StrategyConfig, type LimitConfig, type MonitoringConfig,
} from './schema.js';
export { McpServerSchema, McpSettingsSchema, McpAccessSchema, type McpServerConfig, type McpSettings, type McpAccessConfig, type SkillsConfig } from './schema.js';
export { resolveHome, configPath } from './paths.js';
export { installRoot, packageVersion } from './install-root.js';
export { parseConfig } from './parse-config.js';
export { CONFIG_MIGRATIONS, CONFIG_VERSION, migrateConfig, type ConfigMigration } from './migrate-config.js';
export { defaultConfig, loadConfig, loadOrCreateConfig, saveConfig } from './load-config.js';
export { updateConfig } from './update-config.js';
export { ConfigWatcher } from './config-watcher.js';
export { logBodyBytesOf, settingsForNextStart } from './next-start-settings.js';
export { acquireInstanceLock, originOf, runningInstance, type InstanceInfo, type InstanceLock } from './instance-lock.js';
