"""What the runner reads from /proc about a process tree (nginx: master + worker): CPU, RSS, open fds; and the
limits it raises so that 10,000 streams fit (open files, ephemeral ports)."""
import os
import resource
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(pid):
    """pid and its descendants."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pids
    for c in children:
        pids.extend(tree(int(c)))
    return pids


def cpu_seconds(pid):
    """utime + stime of the tree (fields 14 and 15 of proc(5)), including threads that already exited."""
    total = 0
    for p in tree(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def oncpu_seconds(pid):
    """Time on CPU of the live threads of one process, in nanoseconds resolution (/proc/<pid>/task/*/schedstat).
    Used for start-up, where utime+stime in 10 ms ticks is too coarse for a 30 ms budget."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for t in tasks:
        try:
            total += int(Path(f"/proc/{pid}/task/{t}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def rss_bytes(pid):
    total = 0
    for p in tree(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
    return total


def open_fds(pid):
    return sum(len(os.listdir(f"/proc/{p}/fd")) for p in tree(pid) if os.path.exists(f"/proc/{p}/fd"))


def raise_limits(streams, log):
    """Open files: every held stream is two sockets in a proxy (client side and upstream side) plus the client's own;
    the servers and the stream client inherit this limit. As root the hard limit is raised too.
    Ephemeral ports: the client and the proxy each open one connection per stream; on Linux a port is shared between
    different destinations, so the range must hold the streams of one destination. Returns what was set."""
    want = max(4 * streams + 4096, 65536)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want and os.geteuid() == 0:
        try:
            cap = int(Path("/proc/sys/fs/nr_open").read_text())
            hard = min(want, cap)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (OSError, ValueError) as e:
            log(f"could not raise the open-file limit: {e}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    lo, hi = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    if hi - lo + 1 < streams + 1000:
        log(f"ephemeral port range {lo}-{hi} is small for {streams} streams: "
            "sysctl -w net.ipv4.ip_local_port_range='15000 65000'")
    if hard < 2 * streams + 1024:
        log(f"open-file limit {hard} is too low for {streams} streams through a proxy (2 per stream)")
    return {"nofile": hard, "ephemeral_ports": f"{lo}-{hi}"}


# The GC's regions live in one reserved address range of max(256 GiB, 2 × physical memory) (the .NET GC's default
# region range); its resident pages are the managed heap plus the GC's bookkeeping for it, whatever the GC flavour.
GC_RANGE_MIN = 256 * 2**30


def memory_kb(pid):
    """Resident memory of the tree by kind, in KB: rss, anon (heaps, stacks, the GC's regions: what a stream can add),
    file (pages of the binary and libraries: Rss − Anonymous of /proc/<pid>/smaps_rollup, shared memory being nil
    here) and gc (resident pages in the GC's region range of a .NET process, None for others)."""
    out = {"rss_kb": 0, "anon_kb": 0, "file_kb": 0, "gc_kb": None}
    for p in tree(pid):
        try:
            fields = dict(ln.split(":", 1) for ln in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:])
        except OSError:
            continue
        rss, anon = int(fields["Rss"].split()[0]), int(fields["Anonymous"].split()[0])
        out["rss_kb"] += rss
        out["anon_kb"] += anon
        out["file_kb"] += rss - anon
        gc = gc_resident_kb(p)
        if gc is not None:
            out["gc_kb"] = (out["gc_kb"] or 0) + gc
    return out


def gc_resident_kb(pid):
    """Resident KB inside the GC's reserved region range: the mappings in the range ending where the largest mapping
    (the still-unused part of that reservation) ends. None when the process has no such reservation (not .NET)."""
    try:
        text = Path(f"/proc/{pid}/smaps").read_text()
    except OSError:
        return None
    maps, current = [], None
    for ln in text.splitlines():
        head = ln.split(None, 1)[0]
        if "-" in head and ":" not in head:
            lo, hi = (int(x, 16) for x in head.split("-"))
            current = [lo, hi, 0]
            maps.append(current)
        elif head == "Rss:" and current is not None:
            current[2] = int(ln.split()[1])
    if not maps:
        return None
    biggest = max(maps, key=lambda m: m[1] - m[0])
    if biggest[1] - biggest[0] < GC_RANGE_MIN // 2:
        return None
    try:
        phys = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        phys = 0
    start = biggest[1] - max(GC_RANGE_MIN, 2 * phys)
    return sum(rss for lo, hi, rss in maps if lo >= start and hi <= biggest[1])
