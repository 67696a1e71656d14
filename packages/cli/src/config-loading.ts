import { existsSync } from 'node:fs';
import { ConfigError, configWarnings, loadConfig, type GatewayConfig } from '@tollgate/apidef';
import { pino, type Logger } from 'pino';

/** `--config`, else `./tollgate.json` when present, else defaults (plus environment overrides). */
export function resolveConfigFile(flag: string | undefined): string | undefined {
  if (flag) return flag;
  return existsSync('tollgate.json') ? 'tollgate.json' : undefined;
}

/**
 * Loads and validates the configuration once, at start. A bad value stops the process with a message
 * naming the key (exit code 2); warnings (well-known secret, old TLS) are logged.
 */
export function loadConfigOrExit(file: string | undefined, overrides: Record<string, unknown> = {}): Readonly<GatewayConfig> {
  try {
    return loadConfig({ file, env: process.env, overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tollgate: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export function createLogger(config: Readonly<GatewayConfig>, processName: string): Logger {
  const logger = pino({ level: config.log_level || 'info', base: { process: processName, pid: process.pid } });
  for (const warning of configWarnings(config)) logger.warn(warning);
  return logger;
}
