"""perf helpers shared by the steps that profile: the start-up profile (footprint_steps.py) and the saturating-load
profiles of llm-proxy and the bare forwarder (http_steps.py). The binaries are stripped; their symbols are the .dbg
files that scripts/publish-aot.sh moves to <artifacts>/symbols and <artifacts>/bench/symbols, handed to perf by build
id (`perf buildid-cache -a`). Samples are read back with `perf script` and summed here, weighted by their period as
`perf report` weighs them, so that several recordings (four cold starts) add up to one profile."""
import re
import shutil
import signal
import subprocess
import time

from . import components


def missing():
    """Why no profile can be taken here, or None."""
    return "perf not installed" if shutil.which("perf") is None else None


def symbols_of(binary):
    """Where scripts/publish-aot.sh keeps a binary's symbols: <its folder>/symbols/<its name>.dbg."""
    return binary.parent / "symbols" / f"{binary.name}.dbg"


def add_symbols(*dbgs):
    """Registers each existing .dbg in perf's build-id cache, so the stripped binary's samples get names."""
    for dbg in dbgs:
        if dbg.exists():
            subprocess.run(["perf", "buildid-cache", "-a", str(dbg)], capture_output=True)


def attach(pid, data, freq):
    """perf record -g on a running process (every thread, user and kernel frames) until detach()."""
    rec = subprocess.Popen(["perf", "record", "-F", str(freq), "-g", "-p", str(pid), "-o", str(data)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # perf needs a moment to open its events on every thread before the load starts
    return rec


def detach(rec, data):
    """Stops a recording; an error text when there is nothing to read."""
    rec.send_signal(signal.SIGINT)
    _, err = rec.communicate(timeout=60)
    if not data.exists() or data.stat().st_size == 0:
        return err.decode(errors="replace")[-300:] or "perf wrote no data"
    return None


def run_under(cmd, env, data, freq):
    """perf record -g of a command from its exec on (a start-up is caught whole); the caller ends the command."""
    return subprocess.Popen(["perf", "record", "-F", str(freq), "-g", "-o", str(data), "--"] + cmd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def workload_pid(rec, timeout=5.0):
    """The pid of the command perf record started (its only child)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            kids = open(f"/proc/{rec.pid}/task/{rec.pid}/children").read().split()
        except OSError:
            kids = []
        if kids:
            return int(kids[0])
        time.sleep(0.001)
    return None


HEADER = re.compile(r"^(?P<comm>.*\S)\s+(?P<tid>\d+)\s+(?P<period>\d+)\s*$")


def samples(data):
    """[(period, [(symbol, dso), ...] leaf first)] of one perf.data file."""
    out = subprocess.run(["perf", "script", "-i", str(data), "-F", "comm,tid,period,ip,sym,dso"],
                         capture_output=True, text=True, errors="replace").stdout
    result, period, frames = [], None, []
    for line in out.splitlines():
        if not line.strip():
            if period is not None:
                result.append((period, frames))
            period, frames = None, []
        elif not line[0].isspace():
            m = HEADER.match(line)
            period, frames = (int(m.group("period")) if m else 1), []
        else:
            _, _, rest = line.strip().partition(" ")
            cut = rest.rfind(" (")
            sym, dso = (rest[:cut], rest[cut + 2:-1]) if cut >= 0 else (rest, "")
            frames.append((sym.strip() or "[unknown]", dso))
    if period is not None:
        result.append((period, frames))
    return result


def top_symbols(smp, n=15):
    """Self time (perf report --no-children): the leaf frames with the largest share of the samples."""
    total = sum(p for p, _ in smp) or 1
    by = {}
    for p, frames in smp:
        key = frames[0] if frames else ("[unknown]", "")
        by[key] = by.get(key, 0) + p
    top = sorted(by.items(), key=lambda kv: -kv[1])[:n]
    return [{"symbol": s, "dso": short_dso(d), "percent": 100 * v / total} for (s, d), v in top]


def share_under(smp, frames_by_name):
    """{name: % of samples with a frame matching the regex anywhere in its call chain} (inclusive time)."""
    total = sum(p for p, _ in smp) or 1
    pats = {name: re.compile(rx) for name, rx in frames_by_name.items()}
    return {name: 100 * sum(p for p, fr in smp if any(rx.search(s) for s, _ in fr)) / total
            for name, rx in pats.items()}


def by_component(smp):
    """{component: % of samples} by the component of each sample's leaf frame (self time; components.py)."""
    total = sum(p for p, _ in smp) or 1
    out = {}
    for p, frames in smp:
        sym, dso = frames[0] if frames else ("[unknown]", "")
        c = components.of_frame(sym, dso)
        out[c] = out.get(c, 0) + 100 * p / total
    return out


SYSCALL_ENTRY = re.compile(r"^(?:entry_SYSCALL|do_syscall_64)")
FAULT = re.compile(r"page_fault")
INTERRUPT = re.compile(r"^(?:asm_sysvec|asm_common_interrupt|irqentry_|common_interrupt|__do_softirq)")


def kernel_entries(smp):
    """{how the kernel was entered: % of all samples} for the samples whose own frame is in the kernel. A system call
    is named by the user-space function that made it (the libc wrapper: `send`, `recv`, `read`, `epoll_wait`, ...):
    the kernel's own frames do not always name it (this VM's `pvm_irq_enable` on the way out of a call), and loopback
    delivery and the context switches a call causes count to the call. Else a page fault, an interrupt by its kind
    (a reschedule IPI: another CPU woke a thread of the target; the timer tick), or "other"."""
    total = sum(p for p, _ in smp) or 1
    out = {}
    for p, frames in smp:
        if not frames or not frames[0][1].startswith("[kernel"):
            continue
        syms = [sym for sym, _ in frames]
        user = next((sym for sym, dso in frames if not dso.startswith("[kernel")), "?")
        if any(SYSCALL_ENTRY.match(x) for x in syms):
            entry = "system call from `" + re.sub(r"^_*(?:GI_+)?(?:libc_)?", "", re.sub(r"@.*$", "", user)) + "`"
        elif any(FAULT.search(x) for x in syms):
            entry = "page faults"
        elif any(INTERRUPT.match(x) for x in syms):
            # asm_sysvec_reschedule_ipi: another CPU woke a thread here; apic_timer: the tick; ...
            kind = next((x.removeprefix("asm_sysvec_").removeprefix("asm_") for x in syms if x.startswith("asm_")), "irq")
            entry = f"interrupt `{kind}`"
        else:
            entry = "other kernel"
        out[entry] = out.get(entry, 0) + 100 * p / total
    return out


def short_dso(dso):
    return dso.rsplit("/", 1)[-1]
