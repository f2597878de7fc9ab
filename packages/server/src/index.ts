export { SluiceServer, type SluiceServerOptions } from './server.js';
export { loadConfig, CONFIG_SCHEMA, envVarName, parseIni, ConfigError, type Config, type ConfigKey } from './config.js';
export { Logger, RateLimitedLog, type LogLevel } from './log.js';
export type { ProxyState } from './proxy/state.js';
