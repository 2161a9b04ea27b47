// `--watch`: noticing that a student saved a file in the lab directory. fs.watch wakes us
// quickly; a slow poll backs it up, because a VM's shared folder (the student edits on the
// host, the grader runs in the VM) delivers no file events at all. Either way the decision
// is a comparison of snapshots (name, size, mtime), so an editor's burst of events on save
// makes one change, and files the grade itself writes (*.bpf.o) make none.
import { watch, readdirSync, statSync, type FSWatcher } from "node:fs";
import { basename, join } from "node:path";

export interface WatchOptions {
  /** Quiet time after a file event before looking (an editor's save is several events). */
  debounceMs?: number;
  /** How often to look without any event. */
  pollMs?: number;
}

/** Files that change without the student saving anything: build output, editors' temp files. */
export function isNoise(path: string): boolean {
  const name = basename(path);
  return (
    name.endsWith(".bpf.o") ||
    name.startsWith(".") || // vim's .x.swp, emacs's .#x lock, .DS_Store
    name.endsWith("~") || // backups of vim, emacs, gedit
    /^#.*#$/.test(name) || // emacs auto-save
    /^\d+$/.test(name) || // vim's write test file "4913"
    /\.(?:swp|swo|swx|tmp|bak|orig)$/.test(name) ||
    /___jb_\w+___$/.test(name) // JetBrains safe write
  );
}

type Snapshot = Map<string, string>;

function snapshot(dir: string): Snapshot {
  const files: Snapshot = new Map();
  let names: string[] = [];
  try {
    names = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return files; // the directory is being replaced (git checkout): look again next time
  }
  for (const name of names) {
    if (name.split("/").some(isNoise)) continue;
    try {
      const stat = statSync(join(dir, name));
      if (stat.isFile()) files.set(name, `${stat.size}:${stat.mtimeMs}`);
    } catch {
      // deleted between readdir and stat: its absence shows in the next snapshot
    }
  }
  return files;
}

/** Names that were added, removed or changed between two snapshots. */
function changes(before: Snapshot, after: Snapshot): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name)).sort();
}

export interface Watcher {
  close(): void;
}

/**
 * Calls `onChange` with the changed files each time the student changes something in `dir`.
 * Never two calls at once: a save during a call leads to one more call after it.
 */
export function watchDir(dir: string, onChange: (changed: string[]) => Promise<void>, options: WatchOptions = {}): Watcher {
  const debounceMs = options.debounceMs ?? 300;
  let last = snapshot(dir);
  let busy = false;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;
  let eventPending = false;

  const look = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    const now = snapshot(dir);
    const changed = changes(last, now);
    if (changed.length === 0) return;
    last = now;
    busy = true;
    try {
      await onChange(changed);
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      await look();
    }
  };

  let events: FSWatcher | undefined;
  try {
    events = watch(dir, (_event, name) => {
      if (name && isNoise(name)) return;
      clearTimeout(debounce);
      eventPending = true;
      debounce = setTimeout(() => {
        eventPending = false;
        void look();
      }, debounceMs);
    });
  } catch {
    // No file events here (inotify limit reached): the poll below still sees every save.
  }
  // While events arrive the save is still going on: the debounced look will see its end.
  const poll = setInterval(() => eventPending || void look(), options.pollMs ?? 1000);
  return {
    close() {
      events?.close();
      clearInterval(poll);
      clearTimeout(debounce);
    },
  };
}
