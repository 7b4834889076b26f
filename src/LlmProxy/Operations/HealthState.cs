using LlmProxy.Cli;
using LlmProxy.Configuration;
using LlmProxy.Json;

namespace LlmProxy.Operations;

/// <summary>What /healthz reports (CONTRACT §2.1): uptime, version and the non-secret settings; draining on shutdown.</summary>
public sealed class HealthState(ProxySettings settings, TimeProvider time)
{
    private readonly long _startTimestamp = time.GetTimestamp();
    private volatile bool _draining;

    public bool IsDraining => _draining;

    /// <summary>Called once when the host starts stopping (SIGTERM/SIGINT): /healthz turns 503 "draining".</summary>
    public void MarkDraining() => _draining = true;

    public HealthResponse Report() => new(
        Status: _draining ? "draining" : "ok",
        UptimeSeconds: Math.Round(time.GetElapsedTime(_startTimestamp).TotalSeconds, 3),
        Version: ProxyCommandLine.Version,
        RateLimit: new HealthRateLimit(settings.RateLimitEnabled, settings.RateLimitWindowSeconds, settings.RateLimitMaxRequests),
        Logging: new HealthLogging(settings.LogRequests, settings.LogLevel),
        Cors: new HealthCors(settings.CorsAllowOrigins));
}
