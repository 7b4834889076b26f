namespace LlmProxy.Metrics;

/// <summary>The metric types of the Prometheus text exposition format 0.0.4 that the proxy exposes.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}
