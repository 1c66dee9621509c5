/**
 * Issue 17: a logger is built when its first line is written, so a command that logs nothing
 * never loads pino (nor, at a terminal, pino-pretty); what it writes then is what pino would have
 * written at once.
 */
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { createLogger, createMemoryLogger } from '../src/log.js';
import { prettyDestination } from '../src/log-pretty.js';

const cache = createRequire(import.meta.url).cache;
const pinoLoaded = () => Object.keys(cache).some((k) => /[\\/]node_modules[\\/]pino[\\/]pino\.js$/.test(k));

it('loads pino at the first line at its level, and writes that line as pino does (bindings, redaction)', () => {
  const { logger, lines } = createMemoryLogger('warn');
  const child = logger.child({ provider: 'aws', instance: 'aws-prod' });
  const grandchild = child.child({ component: 'paging' });
  child.debug('below the level');
  grandchild.info({ secret: 'canary-0001' }, 'below the level');
  logger.flush();
  expect(pinoLoaded()).toBe(false);
  expect(lines()).toBe('');

  grandchild.warn({ secret: 'canary-0002', nested: { token: 'canary-0003' }, n: 1 }, 'written');
  expect(pinoLoaded()).toBe(true);
  expect(JSON.parse(lines())).toEqual({
    level: 'warn',
    time: expect.any(String),
    app: 'nhi',
    provider: 'aws',
    instance: 'aws-prod',
    component: 'paging',
    secret: '[redacted]',
    nested: { token: '[redacted]' },
    n: 1,
    msg: 'written',
  });
  expect(lines()).not.toContain('canary');
  // Built now: levels and children behave as pino's own.
  expect(logger.level).toBe('warn');
  expect(child.isLevelEnabled('debug')).toBe(false);
  logger.child({ later: true }).error('also written');
  expect(lines().trim().split('\n')).toHaveLength(2);
});

it('loads pino-pretty for a terminal at the first line, not when the destination is made', () => {
  const loaded = () =>
    Object.keys(cache).some((k) => /[\\/]node_modules[\\/]pino-pretty[\\/]index\.js$/.test(k));
  const written: string[] = [];
  const destination = prettyDestination({ write: (t: string) => written.push(t) }, false);
  const logger = createLogger({ level: 'warn', destination });
  logger.info('below the level');
  expect(loaded()).toBe(false);
  logger.warn({ ref: 'aws-prod:secret:a' }, 'aws call retried');
  expect(loaded()).toBe(true);
  expect(written.join('')).toMatch(
    /^\r\x1b\[2K\[\d\d:\d\d:\d\d\] WARN: aws call retried \{"ref":"aws-prod:secret:a"\}\n$/,
  );
});
