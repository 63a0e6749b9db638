/**
 * The command table. Add a command by writing cli/commands/<name>.ts and listing it here. A command's module
 * is imported only when that command runs (or its help is asked for): loading every command's dependencies
 * (HTTP and tracker servers, the whole package) cost each run ~0.1 s of CPU before it did anything.
 */
import type { Command } from '../command.js';

/** A command as listed: its name, its line in `swarmkit help`, and its module. */
export interface CommandEntry {
  readonly name: string;
  /** One line for the command list in `swarmkit help`. */
  readonly summary: string;
  load(): Promise<Command>;
}

/** Commands by name, in the order `swarmkit help` lists them. */
export const commands: ReadonlyMap<string, CommandEntry> = new Map(
  (
    [
      { name: 'create', summary: 'make a .torrent file from a file or directory', load: async () => (await import('./create.js')).createCommand },
      { name: 'info', summary: 'show what a .torrent file or magnet link describes', load: async () => (await import('./info.js')).infoCommand },
      { name: 'download', summary: 'download a torrent from peers into a directory', load: async () => (await import('./download.js')).downloadCommand },
      { name: 'seed', summary: "serve a torrent's data to peers until interrupted", load: async () => (await import('./seed.js')).seedCommand },
      {
        name: 'stream',
        summary: 'download a torrent and serve one of its files over HTTP while it downloads',
        load: async () => (await import('./stream.js')).streamCommand,
      },
      {
        name: 'tracker',
        summary: 'run a tracker (WebSocket signalling for WebRTC peers, HTTP and UDP announce)',
        load: async () => (await import('./tracker.js')).trackerCommand,
      },
    ] satisfies CommandEntry[]
  ).map((c) => [c.name, c]),
);
