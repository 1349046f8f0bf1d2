import { formatBytes, pullView } from './pull-progress';

describe('pullView (the Models page progress bar)', () => {
  it('gives the share done when the size is known (uint64 fields arrive as strings)', () => {
    expect(pullView({ phase: 'downloading', doneBytes: '524288', totalBytes: '1048576' })).toEqual({
      phase: 'downloading',
      fraction: 0.5,
      text: 'downloading: 512 KB of 1.0 MB',
    });
  });
  it('has no share while the size is unknown, and is full when done', () => {
    expect(pullView({ phase: 'downloading', doneBytes: '2048' }).fraction).toBeUndefined();
    expect(pullView({ phase: 'done' }).fraction).toBe(1);
    expect(pullView(undefined).phase).toBe('starting');
  });
  it('formats sizes', () => {
    expect([formatBytes(0), formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['0 B', '512 B', '1.5 KB', '5.0 GB']);
  });
});
