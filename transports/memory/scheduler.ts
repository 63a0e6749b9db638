/**
 * A runtime-neutral "run soon, as a macrotask" primitive for the in-memory transport.
 *
 * Deliveries must not be synchronous (a write must never re-enter the reader) and must not be microtasks
 * either: a writer that refills on every `drain` would then starve timers and I/O forever. Node has
 * `setImmediate`; browsers get a shared MessageChannel, which is not clamped like `setTimeout(0)`.
 */

type Task = () => void;

interface ImmediateHost {
  setImmediate?: (fn: () => void) => unknown;
}

function messageChannelScheduler(): (task: Task) => void {
  let queue: Task[] = [];
  let channel: MessageChannel | undefined;
  let posted = false;
  const run = (): void => {
    posted = false;
    const tasks = queue;
    queue = [];
    for (const task of tasks) task();
  };
  return (task) => {
    queue.push(task);
    if (posted) return;
    posted = true;
    if (channel === undefined) {
      channel = new MessageChannel();
      channel.port1.onmessage = run;
    }
    channel.port2.postMessage(0);
  };
}

const host = globalThis as ImmediateHost;

/** Runs `task` in a later macrotask. */
export const runSoon: (task: Task) => void =
  typeof host.setImmediate === 'function'
    ? (task) => {
        (host.setImmediate as (fn: () => void) => unknown)(task);
      }
    : messageChannelScheduler();
