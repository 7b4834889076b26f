"""The BenchmarkDotNet micro-benchmarks (bench/LlmProxy.Benchmarks), run in process, summarised from their JSON."""
import json
import os
import shutil
import subprocess


def micro(args, pin, logdir, results, log):
    proj = args.root / "bench" / "LlmProxy.Benchmarks" / "LlmProxy.Benchmarks.csproj"
    outdir = args.art / "micro"
    shutil.rmtree(outdir, ignore_errors=True)
    # In process: BenchmarkDotNet's default builds a child project per benchmark, which timed out (120 s) on this
    # shared machine; in-process runs the same JIT-compiled code without that build.
    cmd = ["dotnet", "run", "-c", "Release", "--project", os.path.relpath(proj, args.root), "--", "--filter", "*",
           "--job", "short", "--inProcess", "--exporters", "json", "--artifacts", str(outdir), "--memory"]
    log("micro-benchmarks: " + " ".join(cmd))
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=args.root)
    (args.art / "micro.log").write_text(res.stdout + res.stderr)
    rows = []
    for f in sorted((outdir / "results").glob("*-report-full-compressed.json")) if (outdir / "results").exists() else []:
        data = json.loads(f.read_text())
        for b in data.get("Benchmarks", []):
            stats = b.get("Statistics") or {}
            mem = b.get("Memory") or {}
            rows.append({"type": b.get("Type"), "method": b.get("Method"), "params": b.get("Parameters") or "",
                         "mean_ns": stats.get("Mean"), "median_ns": stats.get("Median"),
                         "alloc_bytes": mem.get("BytesAllocatedPerOperation")})
    results["micro"] = {"command": " ".join(cmd).replace(str(args.art), "artifacts/bench"), "rows": rows,
                        "ok": res.returncode == 0}
    if res.returncode != 0:
        raise RuntimeError("the micro-benchmarks failed; see artifacts/bench/micro.log")
