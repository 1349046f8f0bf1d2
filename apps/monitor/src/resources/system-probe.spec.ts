import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMeminfo, ProcProcessReader, SystemInformationProbe } from './system-probe';

describe('process usage from /proc', () => {
  let root: string;
  const cores = cpus().length;
  /** A process whose command name has spaces and a parenthesis, as /proc/<pid>/stat can show it. */
  const stat = (pid: number, utime: number, stime: number, startTicks: number) =>
    `${pid} (node (aico) x) S 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 ${startTicks} 1000000 2000 18446744073709551615\n`;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'aico-proc-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function writeProcess(pid: number, utime: number, stime: number, rssKiB: number, startTicks = 0): Promise<void> {
    await mkdir(join(root, String(pid)), { recursive: true });
    await writeFile(join(root, String(pid), 'stat'), stat(pid, utime, stime, startTicks));
    await writeFile(join(root, String(pid), 'status'), `Name:\tnode\nVmPeak:\t 900000 kB\nVmRSS:\t  ${rssKiB} kB\nThreads:\t11\n`);
  }

  it('reports CPU since the process started, then since the previous reading, as a share of all cores; RSS from VmRSS', async () => {
    const reader = new ProcProcessReader(root);
    await writeFile(join(root, 'uptime'), '1000.00 1800.00\n');
    await writeProcess(42, 3_000, 1_000, 51_200, 60_000); // started at 600 s: 40 s of CPU in 400 s
    expect(await reader.read([42])).toEqual([{ pid: 42, cpuPercent: 10 / cores, rssBytes: 51_200 * 1024 }]);
    await writeFile(join(root, 'uptime'), '1010.00 1810.00\n');
    await writeProcess(42, 3_400, 1_100, 60_000, 60_000); // 5 s of CPU in 10 s
    expect(await reader.read([42])).toEqual([{ pid: 42, cpuPercent: 50 / cores, rssBytes: 60_000 * 1024 }]);
  });

  it('leaves out a pid that does not exist', async () => {
    await writeFile(join(root, 'uptime'), '1000.00 1800.00\n');
    await writeProcess(7, 0, 0, 1_000);
    expect((await new ProcProcessReader(root).read([7, 99_999])).map((usage) => usage.pid)).toEqual([7]);
  });

  it('reads this very process on this machine', async () => {
    const [own] = await new SystemInformationProbe().processes([process.pid]);
    expect(own!.pid).toBe(process.pid);
    // Within a few MiB of what Node itself says (the two reads are moments apart).
    expect(Math.abs(own!.rssBytes - process.memoryUsage.rss())).toBeLessThan(32 * 1024 * 1024);
    expect(own!.cpuPercent).toBeGreaterThan(0);
  });
});

describe('memory from /proc/meminfo', () => {
  const meminfo = [
    'MemTotal:       24592128 kB',
    'MemFree:         1000000 kB',
    'MemAvailable:   20000000 kB',
    'Buffers:          100000 kB',
    'SwapCached:            0 kB',
    'SwapTotal:       2097148 kB',
    'SwapFree:        1048576 kB',
    'HugePages_Total:       0',
    '',
  ].join('\n');

  it('reads total and available memory and the swap in use, in bytes', () => {
    expect(parseMeminfo(meminfo)).toEqual({
      totalBytes: 24_592_128 * 1024,
      availableBytes: 20_000_000 * 1024,
      swapTotalBytes: 2_097_148 * 1024,
      swapUsedBytes: (2_097_148 - 1_048_576) * 1024,
    });
  });

  it('gives up (for systeminformation to estimate) when a figure is missing, as MemAvailable is on kernels before 3.14', () => {
    expect(parseMeminfo(meminfo.replace(/^MemAvailable:.*$/m, ''))).toBeUndefined();
  });

  it('agrees with systeminformation on this machine', async () => {
    const probe = new SystemInformationProbe();
    const reading = await probe.memory();
    const si = await import('systeminformation');
    const reference = await si.mem();
    expect(reading.totalBytes).toBe(reference.total);
    expect(reading.swapTotalBytes).toBe(reference.swaptotal);
    // Read moments apart: available memory moves a little.
    expect(Math.abs(reading.availableBytes - reference.available)).toBeLessThan(256 * 1024 * 1024);
  });
});
