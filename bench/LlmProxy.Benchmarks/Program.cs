using BenchmarkDotNet.Running;
using LlmProxy.Benchmarks;

// `store-cost [calls]`: the rate-limit store comparison (a latency distribution and CPU across two processes, which
// BenchmarkDotNet does not measure); `failover-cost [rounds]` likewise; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "store-cost")
{
    return await RateLimitStoreCost.RunAsync(args);
}
// `failover-cost [rounds]`: the latency failover adds, through the published binary (docs/upstreams.md, Failover).
if (args.Length > 0 && args[0] == "failover-cost")
{
    return await FailoverCost.RunAsync(args);
}
BenchmarkSwitcher.FromAssembly(typeof(BenchBodies).Assembly).Run(args);
return 0;
