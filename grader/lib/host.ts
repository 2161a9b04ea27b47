// Where `npm run grade` can load BPF programs: here (root on Linux), here under sudo, or in
// the course VM. The decision is a pure function of facts about the machine, so every case
// is testable on any machine; probing the facts is in forward.ts.
//
// Facts that are slow or noisy to probe (sudo, vagrant) may be left out: the decision then
// says which one it needs, the caller probes it and asks again. Root on Linux never runs
// `vagrant status`, which takes seconds.

/** What `vagrant status --machine-readable` said, or that there is no vagrant at all. */
export type VagrantState = { installed: false } | { installed: true; state: string };

export interface HostFacts {
  platform: NodeJS.Platform;
  /** Effective uid; undefined where there is none (Windows). */
  uid: number | undefined;
  /** /sys/kernel/btf/vmlinux exists: the labs' CO-RE programs can load on this kernel. */
  btf: boolean;
  /** EBPF_COURSE_FORCE_HOST=1: behave as on a host that cannot load BPF (a test hook). */
  forceHost: boolean;
  /** This process is the re-run under sudo: it grades here whatever happens (never a loop). */
  elevated: boolean;
  /** `sudo -n true` succeeds. */
  passwordlessSudo?: boolean;
  vagrant?: VagrantState;
}

export type GradingPlace =
  | { where: "here" }
  | { where: "sudo" }
  | { where: "vm" }
  /**
   * Nowhere yet: `why` this host cannot, and the VM is not running (or there is no vagrant).
   * `asRoot`: this host could, run as root (Linux with BTF, only sudo wants a password).
   */
  | { where: "nowhere"; why: string; vagrant: VagrantState; asRoot: boolean };

export type Decision = GradingPlace | { where: "unknown"; needs: "passwordlessSudo" | "vagrant" };

/**
 * root on Linux → here; Linux with BTF and passwordless sudo → sudo; else the VM if it runs.
 * The re-run under sudo grades here even if sudo did not make it root: preflight then says why.
 */
export function whereToGrade(facts: HostFacts): Decision {
  const linux = facts.platform === "linux" && !facts.forceHost;
  if ((linux && facts.uid === 0) || facts.elevated) return { where: "here" };
  if (linux && facts.btf) {
    if (facts.passwordlessSudo === undefined) return { where: "unknown", needs: "passwordlessSudo" };
    if (facts.passwordlessSudo) return { where: "sudo" };
  }
  if (facts.vagrant === undefined) return { where: "unknown", needs: "vagrant" };
  if (facts.vagrant.installed && facts.vagrant.state === "running") return { where: "vm" };
  return { where: "nowhere", why: whyNotHere(facts), vagrant: facts.vagrant, asRoot: linux && facts.btf };
}

function whyNotHere(facts: HostFacts): string {
  if (facts.forceHost) return "EBPF_COURSE_FORCE_HOST is set";
  if (facts.platform !== "linux") return `BPF programs need Linux, and this is ${platformName(facts.platform)}`;
  if (!facts.btf) return "this kernel has no BTF (/sys/kernel/btf/vmlinux), which the labs' programs need";
  return "loading BPF programs needs root, and sudo asks for a password";
}

function platformName(platform: NodeJS.Platform): string {
  return ({ darwin: "macOS", win32: "Windows" } as Partial<Record<NodeJS.Platform, string>>)[platform] ?? platform;
}

/** The state in `vagrant status --machine-readable` output ("running", "poweroff", "not_created"...). */
export function parseVagrantStatus(output: string): string {
  for (const line of output.split("\n")) {
    // timestamp,target,type,data...
    const [, , type, data] = line.split(",");
    if (type === "state" && data) return data.trim();
  }
  return "unknown";
}

/** Where the Vagrantfile syncs the course inside the VM. */
export const vmCourseDir = "/course";

/** The shell command `vagrant ssh -c` runs in the VM: the same grade, as root. */
export function vmCommand(argv: readonly string[]): string {
  const rest = argv.length > 0 ? ` -- ${argv.map(shellQuote).join(" ")}` : "";
  return `cd ${vmCourseDir} && sudo npm run grade${rest}`;
}

/** What the student types to grade again: `npm run grade lab3` (with `--` once there are flags). */
export function gradeCommand(argv: readonly string[]): string {
  const quoted = argv.map(shellQuote);
  const flagAt = argv.findIndex((arg) => arg.startsWith("-"));
  if (flagAt < 0) return ["npm run grade", ...quoted].join(" ");
  return ["npm run grade --", ...quoted].join(" ");
}

/** The lines that tell a student what to type when the grade cannot run anywhere yet. */
export function nowhereAdvice(place: Extract<GradingPlace, { where: "nowhere" }>, argv: readonly string[]): string[] {
  const again = gradeCommand(argv);
  const lines = [`grade: cannot grade on this machine: ${place.why}.`];
  if (!place.vagrant.installed) {
    lines.push(
      "Grading runs in the course VM, and vagrant is not installed. Install Vagrant and a provider",
      "(VirtualBox, libvirt, VMware or Parallels), then, in the course directory:",
    );
  } else {
    const state = place.vagrant.state === "not_created" ? "has not been created yet" : `is not running (state: ${place.vagrant.state})`;
    lines.push(`Grading runs in the course VM, which ${state}. Start it, then grade again:`);
  }
  lines.push("    vagrant up", `    ${again}`);
  if (place.asRoot) lines.push(`Or, if you can become root here: sudo ${again}`);
  return lines;
}

/** Quotes an argument for a POSIX shell, only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
