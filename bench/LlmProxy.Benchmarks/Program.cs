using BenchmarkDotNet.Running;
using LlmProxy.Benchmarks;

// `store-cost [calls]`: the rate-limit store comparison (a latency distribution and CPU across two processes, which
// BenchmarkDotNet does not measure); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "store-cost")
{
    return await RateLimitStoreCost.RunAsync(args);
}
BenchmarkSwitcher.FromAssembly(typeof(BenchBodies).Assembly).Run(args);
return 0;
