/** The command table. Add a command by writing cli/commands/<name>.ts and listing it here. */
import type { Command } from '../command.js';
import { createCommand } from './create.js';
import { downloadCommand } from './download.js';
import { infoCommand } from './info.js';
import { seedCommand } from './seed.js';
import { streamCommand } from './stream.js';
import { trackerCommand } from './tracker.js';

/** Commands by name, in the order `swarmkit help` lists them. */
export const commands: ReadonlyMap<string, Command> = new Map([createCommand, infoCommand, downloadCommand, seedCommand, streamCommand, trackerCommand].map((c) => [c.name, c]));
