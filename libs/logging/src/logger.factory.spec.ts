import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWithCorrelation, currentCorrelationId } from './correlation-context';
import { createProcessLogger, createStreamLogger } from './logger.factory';
import { REDACTED } from './redaction';
import { NestPinoLogger } from './nest-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createStreamLogger({ service: 'test', level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('logging', () => {
  it('redacts secrets wherever a log call passes them', () => {
    const { logger, lines } = capture();
    logger.info({ password: 'hunter2', user: { name: 'ada', token: 't0k3n' }, nested: { deeper: { masterKey: 'k3y' } } }, 'login');
    const text = JSON.stringify(lines[0]);
    for (const secret of ['hunter2', 't0k3n', 'k3y']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ password: '[redacted]', user: { name: 'ada', token: '[redacted]' }, service: 'test', msg: 'login' });
  });

  it('adds the correlation id of the envelope being handled, across awaits', async () => {
    const { logger, lines } = capture();
    await runWithCorrelation('corr-1', async () => {
      await Promise.resolve();
      expect(currentCorrelationId()).toBe('corr-1');
      logger.info('inside');
    });
    logger.info('outside');
    expect(lines[0]).toMatchObject({ msg: 'inside', correlationId: 'corr-1' });
    expect(lines[1]!['correlationId']).toBeUndefined();
  });

  it('routes Nest log calls with their context and errors with their stack', () => {
    const { logger, lines } = capture();
    const nest = new NestPinoLogger(logger);
    nest.log('Mapped route', 'RouterExplorer');
    nest.error('boom', 'Error: boom\n    at x', 'ExceptionHandler');
    nest.warn(new Error('careful'));
    expect(lines[0]).toMatchObject({ level: 30, msg: 'Mapped route', context: 'RouterExplorer' });
    expect(lines[1]).toMatchObject({ level: 50, msg: 'boom', context: 'ExceptionHandler', stack: 'Error: boom\n    at x' });
    expect(lines[2]).toMatchObject({ level: 40, msg: 'careful' });
  });

  it('writes JSON lines to a per-service file in the log directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aico-logs-'));
    try {
      const { logger, close } = createProcessLogger({ service: 'storage', level: 'info', pretty: false, fileDir: dir });
      logger.info({ apiKey: 'sk-123' }, 'to the file');
      await close();
      const files = await readdir(dir);
      expect(files.some((name) => name.startsWith('storage') && name.endsWith('.log'))).toBe(true);
      const content = await readFile(
        join(
          dir,
          files.find((name) => name.startsWith('storage'))!,
        ),
        'utf8',
      );
      expect(content).toContain('"msg":"to the file"');
      expect(content).not.toContain('sk-123');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps logging while its file cannot be written, says so once, and says when it can again with the count of lost lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aico-degrade-'));
    try {
      // A file where the log directory should be: every write fails (as on a full disk) until it is gone.
      await writeFile(join(dir, 'blocked'), '');
      const { logger, tap, destinations, close } = createProcessLogger({
        service: 'gateway',
        level: 'info',
        pretty: false,
        fileDir: join(dir, 'blocked', 'logs'),
        tapLevel: 'info',
        retryIntervalMs: 0,
      });
      const records: Record<string, unknown>[] = [];
      tap.attach((record) => void records.push(record));
      for (let i = 0; i < 3; i++) expect(() => logger.info(`lost ${i}`)).not.toThrow();
      await Promise.resolve();
      expect(records.filter((record) => /cannot be written/.test(String(record['msg'])))).toEqual([expect.objectContaining({ level: 40, code: 'ENOTDIR' })]);
      expect(destinations().find((d) => d.destination !== 'stdout')).toMatchObject({ degraded: true });

      await rm(join(dir, 'blocked'));
      logger.info('written again');
      await Promise.resolve();
      await close();
      const content = await readFile(join(dir, 'blocked', 'logs', 'gateway.1.log'), 'utf8');
      const lines = content
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      // The degraded notice itself could not be written either: 3 lines and the notice were lost.
      expect(lines.map((line) => line['msg'])).toEqual(['written again', expect.stringMatching(/writable again; 4 lines were dropped while it was not$/)]);
      expect(lines[1]).toMatchObject({ dropped: 4 });
      expect(destinations().find((d) => d.destination !== 'stdout')).toMatchObject({ degraded: false, droppedTotal: 4 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('hands lines at the tap level to a sink attached later, redacted, early ones included, never its own', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aico-tap-'));
    try {
      const { logger, tap, close } = createProcessLogger({ service: 'keys', level: 'warn', pretty: false, fileDir: dir, tapLevel: 'info' });
      logger.debug('below both');
      logger.info({ password: 'hunter2' }, 'early, before the sink');
      const records: Record<string, unknown>[] = [];
      tap.attach((record) => {
        records.push(record);
        logger.info('logged by the sink itself');
      });
      logger.warn('after the sink');
      tap.detach();
      logger.error('after detaching');
      await close();
      expect(records.map((record) => record['msg'])).toEqual(['early, before the sink', 'after the sink']);
      expect(records[0]).toMatchObject({ level: 30, service: 'keys', password: REDACTED });
      // The file keeps its own level: info lines the tap wanted are not in it.
      const file = await readFile(join(dir, (await readdir(dir))[0]!), 'utf8');
      expect(file).toContain('after the sink');
      expect(file).not.toContain('early, before the sink');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
