import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TorrentError } from '../../../src/errors.js';
import { trackerTiers } from '../../../cli/commands/create.js';
import { describeError, errorLine, exitCodeFor, UsageError } from '../../../cli/errors.js';
import { escapeTerminal } from '../../../cli/escape.js';
import { formatBytes, parseSize } from '../../../cli/format.js';
import { Output } from '../../../cli/output.js';
import type { OutputStream } from '../../../cli/output.js';
import { runCli } from '../../../cli/run.js';

class Collector implements OutputStream {
  text = '';
  constructor(readonly isTTY = false, readonly columns = 80) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('escapeTerminal', () => {
  it('escapes controls, bidi marks, separators, lone surrogates and backslash; keeps other text', () => {
    expect(escapeTerminal('plain name.mkv')).toBe('plain name.mkv');
    expect(escapeTerminal('Ünïcödé 日本語 🎬')).toBe('Ünïcödé 日本語 🎬');
    expect(escapeTerminal('a\x1b[31mb')).toBe('a\\x1b[31mb');
    expect(escapeTerminal('a\nb\rc\td\x00e\x7ff\x9bg')).toBe('a\\x0ab\\x0dc\\x09d\\x00e\\x7ff\\x9bg');
    expect(escapeTerminal('x\u202Eexe.txt')).toBe('x\\u{202e}exe.txt');
    expect(escapeTerminal('\u2066\u2069\u200f\u2028')).toBe('\\u{2066}\\u{2069}\\u{200f}\\u{2028}');
    expect(escapeTerminal('a\\b')).toBe('a\\\\b');
    expect(escapeTerminal('\ud800x\udc00')).toBe('\\u{d800}x\\u{dc00}');
  });

  it('never lets a terminal-unsafe character through, for any string', () => {
    const unsafe = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom('\x1b', '\u202e', '\n', '\\', '\ud800', '\udc00', 'a'), fc.string({ unit: 'binary', maxLength: 1 })) }), (s) => {
        expect(escapeTerminal(s)).not.toMatch(unsafe);
      }),
    );
  });
});

describe('format', () => {
  it('formats and parses sizes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(262144)).toBe('256 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5 GiB');
    expect(parseSize('262144')).toBe(262144);
    expect(parseSize('256K')).toBe(262144);
    expect(parseSize('4MiB')).toBe(4 * 1024 ** 2);
    expect(parseSize('1g')).toBe(1024 ** 3);
    for (const bad of ['', '-1', '1.5M', 'lots', '4 X', '99999999999999999999']) expect(parseSize(bad)).toBeUndefined();
  });

  it('splits --tracker values into tiers', () => {
    expect(trackerTiers(['http://a/x', 'udp://b:1,wss://c/'])).toEqual([['http://a/x'], ['udp://b:1', 'wss://c/']]);
    expect(() => trackerTiers(['ftp://a/'])).toThrow(UsageError);
    expect(() => trackerTiers(['nope'])).toThrow(UsageError);
    expect(() => trackerTiers([','])).toThrow(UsageError);
  });
});

describe('Output', () => {
  it('json mode: events as JSON lines, bytes as hex, nothing on stderr but the error line', () => {
    const stdout = new Collector();
    const stderr = new Collector();
    const out = new Output({ json: true, stdout, stderr, progressIntervalMs: 0 });
    out.event('ready', { hash: new Uint8Array([1, 171]), big: 5n });
    out.line('human only');
    out.progress(1, 2);
    out.progress(2, 2);
    out.error(new TorrentError('torrent_invalid', 'bad\nsecond line'));
    const lines = stdout.text.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { event: 'ready', hash: '01ab', big: '5' },
      { event: 'progress', done: 1, total: 2 },
      { event: 'progress', done: 2, total: 2 },
      { event: 'error', message: 'bad\nsecond line', code: 'torrent_invalid' },
    ]);
    expect(stderr.text).toBe('swarmkit: error [torrent_invalid]: bad\n');
  });

  it('throttles progress but always sends the final update', () => {
    const stdout = new Collector();
    const out = new Output({ json: true, stdout, stderr: new Collector(), progressIntervalMs: 60_000 });
    for (let i = 0; i <= 100; i++) out.progress(i, 100);
    const events = stdout.text.trim().split('\n').map((l) => JSON.parse(l) as { done: number });
    expect(events.map((e) => e.done)).toEqual([0, 100]);
  });

  it('human mode: a bar on a TTY stderr only, cleared before normal output', () => {
    const stdout = new Collector();
    const tty = new Collector(true, 60);
    const out = new Output({ json: false, stdout, stderr: tty, progressIntervalMs: 0 });
    out.progress(5, 10, {}, 'items');
    expect(tty.text).toMatch(/^\r\[#+-+\]  50%  5 \/ 10\x1b\[K$/);
    out.line('result');
    expect(tty.text.endsWith('\r\x1b[K')).toBe(true);
    expect(stdout.text).toBe('result\n');

    const pipe = new Collector(false);
    const quiet = new Output({ json: false, stdout: new Collector(), stderr: pipe, progressIntervalMs: 0 });
    quiet.progress(5, 10);
    quiet.progress(10, 10);
    expect(pipe.text).toBe('');
  });

  it('debug mode adds the stack; errors are described with stable codes', () => {
    const stderr = new Collector();
    new Output({ json: false, debug: true, stdout: new Collector(), stderr }).error(new Error('boom'));
    expect(stderr.text).toMatch(/^swarmkit: error \[internal_error\]: boom\nError: boom\n\s+at /);
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    expect(describeError(enoent)).toEqual({ code: 'ENOENT', message: 'ENOENT: no such file' });
    expect(errorLine(new TorrentError('magnet_invalid', 'bad \x1b[2J link'))).toBe('swarmkit: error [magnet_invalid]: bad \\x1b[2J link');
    expect(exitCodeFor(new UsageError('x'))).toBe(2);
    expect(exitCodeFor(new TorrentError('torrent_invalid', 'x'))).toBe(1);
  });
});

describe('runCli in-process', () => {
  const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    const stdout = new Collector();
    const stderr = new Collector();
    const code = await runCli(argv, { stdout, stderr, cwd: process.cwd() });
    return { code, out: stdout.text, err: stderr.text };
  };

  it('dispatches help, version and usage errors', async () => {
    expect((await run(['help', 'info'])).out).toContain('Usage: swarmkit info');
    expect((await run(['info', '--help'])).out).toContain('Usage: swarmkit info');
    expect((await run([])).code).toBe(2);
    expect((await run(['--version', '--json'])).out).toMatch(/^\{"version":"\d+\.\d+\.\d+.*"\}\n$/);
    const unknown = await run(['nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe("swarmkit: error [usage]: unknown command 'nope' (try 'swarmkit help')\n");
    const flagFirst = await run(['--frob']);
    expect(flagFirst.code).toBe(2);
    const badMagnet = await run(['info', 'magnet:?xt=urn:btih:zz', '--json']);
    expect(badMagnet.code).toBe(1);
    expect(JSON.parse(badMagnet.out)).toMatchObject({ event: 'error', code: expect.stringMatching(/^magnet_/) });
  });
});
