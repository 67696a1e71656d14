#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { VERSION } from '@tollgate/gateway';
import { createLogger, loadConfigOrExit, resolveConfigFile } from './config-loading.js';
import { parseRange } from '@tollgate/control-plane';
import { lowerPriority, printTopTags, startAnalytics } from './commands/analytics.js';
import { startControlPlane } from './commands/control-plane.js';
import { startGateway } from './commands/gateway.js';
import { addCommand, generateCommand } from './commands/certs.js';
import { up } from './commands/up.js';

const program = new Command('tollgate').version(VERSION).description('An API gateway that speaks Tyk\'s formats');

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
};

const niceValue = (value: string): number => {
  const n = integer(value);
  if (n > 19) throw new InvalidArgumentError('must be 0 to 19');
  return n;
};

program.command('control-plane')
  .description('admin API (Tyk Gateway API) on control_api_port; loads app_path; publishes changes')
  .option('-c, --config <file>', 'tollgate.json (tyk.conf key names)')
  .action(async (opts: { config?: string }) => {
    const config = loadConfigOrExit(resolveConfigFile(opts.config));
    const logger = createLogger(config, 'control-plane');
    const cp = await startControlPlane(config, logger).catch((err: Error) => {
      logger.fatal(err.message);
      process.exit(1);
    });
    const stop = (): void => void cp.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

program.command('gateway')
  .description('data plane: a cluster primary and N uWebSockets.js workers on listen_port')
  .option('-c, --config <file>', 'tollgate.json (tyk.conf key names)')
  .option('-w, --workers <n>', 'worker processes (0 = one per core)', integer)
  .action(async (opts: { config?: string; workers?: number }) => {
    const config = loadConfigOrExit(resolveConfigFile(opts.config));
    const logger = createLogger(config, 'gateway');
    const gateway = await startGateway(config, opts.workers ?? config.workers ?? 0, logger);
    const stop = (): void => void gateway.shutdown().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

const analytics = program.command('analytics')
  .description('consume analytics records into hourly aggregates (BullMQ-scheduled drains of the Redis stream); serves /metrics')
  .option('-c, --config <file>', 'tollgate.json (tyk.conf key names)')
  .option('--metrics-port <port>', 'port of this process\'s /metrics (0 = none)', integer, 9092)
  .option('--interval-ms <ms>', 'how often a drain job runs', integer, 500)
  .option('--nice <n>', 'CPU priority as a nice value, 0 (unchanged) to 19: the consumer yields to gateway workers on a shared machine', niceValue, 10)
  .action(async (opts: { config?: string; metricsPort: number; intervalMs: number; nice: number }) => {
    const config = loadConfigOrExit(resolveConfigFile(opts.config));
    const logger = createLogger(config, 'analytics');
    lowerPriority(opts.nice, logger);
    const service = await startAnalytics(config, logger, { metricsPort: opts.metricsPort, intervalMs: Math.max(50, opts.intervalMs) }).catch((err: Error) => {
      logger.fatal(err.message);
      process.exit(1);
    });
    const stop = (): void => void service.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

analytics.command('top-tags')
  .description('print the tags with the most hits (from the hourly aggregates)')
  .option('-c, --config <file>', 'tollgate.json (tyk.conf key names)')
  .option('--from <time>', 'RFC 3339 time, date or unix seconds (default: 24 hours before --to)')
  .option('--to <time>', 'RFC 3339 time, date or unix seconds (default: now)')
  .option('--org <org_id>', 'only this org')
  .option('-n, --limit <n>', 'rows', integer, 20)
  .action(async (opts: { config?: string; from?: string; to?: string; org?: string; limit: number }) => {
    const config = loadConfigOrExit(resolveConfigFile(opts.config ?? analytics.opts<{ config?: string }>().config));
    const params = new URLSearchParams();
    if (opts.from) params.set('from', opts.from);
    if (opts.to) params.set('to', opts.to);
    const range = parseRange(params, Date.now());
    if (typeof range === 'string') throw new InvalidArgumentError(range.replace(/^from/, '--from').replace(/^to/, '--to'));
    await printTopTags(config, { ...range, orgId: opts.org ?? '', limit: opts.limit });
  });

program.command('up')
  .description('the whole stack with a demo API: control plane, a gateway with 2 workers, a demo upstream')
  .option('-c, --config <file>', 'tollgate.json (tyk.conf key names)')
  .option('-w, --workers <n>', 'gateway workers', integer, 2)
  .option('--demo-port <port>', 'port of the demo upstream (0 = any free port)', integer, 0)
  .action((opts: { config?: string; workers: number; demoPort: number }) =>
    up({ configFile: resolveConfigFile(opts.config), workers: opts.workers, demoPort: opts.demoPort }));

const certs = program.command('certs').description('certificates: make one for development, upload one to the store');
certs.command('generate')
  .description('write a self-signed certificate and key (<domain>.crt, <domain>.key) for development')
  .requiredOption('-d, --domain <name...>', 'host name(s): the first is the CN, all are DNS names (wildcards allowed)')
  .option('-o, --out <dir>', 'directory to write to', '.')
  .option('--days <n>', 'validity in days', integer, 365)
  .action(async (opts: { domain: string[]; out: string; days: number }) => {
    const { certFile, keyFile } = await generateCommand({ domains: opts.domain, outDir: opts.out, days: opts.days });
    process.stdout.write(`${certFile}\n${keyFile}\n`);
  });
certs.command('add')
  .description('upload PEM file(s) (certificate, optional key, or a public key) to the certificate store; prints the ID')
  .argument('<files...>', 'PEM files, concatenated in order')
  .option('-c, --config <file>', 'tollgate.json (admin port and secret)')
  .option('--org-id <id>', 'organisation the certificate belongs to', '')
  .option('--url <url>', 'admin API base URL (default: this host, control_api_port)')
  .action(async (files: string[], opts: { config?: string; orgId: string; url?: string }) => {
    const config = loadConfigOrExit(resolveConfigFile(opts.config));
    const id = await addCommand(config, { files, orgId: opts.orgId, url: opts.url });
    process.stdout.write(`${id}\n`);
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`tollgate: ${(err as Error).message}\n`);
  process.exit(1);
});
