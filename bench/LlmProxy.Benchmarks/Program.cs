using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(LlmProxy.Benchmarks.BenchBodies).Assembly).Run(args);
