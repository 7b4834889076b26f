namespace Soak;

/// <summary>One reading of the proxy process and of the sockets between it and the fake upstream.</summary>
public sealed record Sample(TimeSpan At, long RssKb, int OpenFds, int UpstreamSockets, int UpstreamEstablished, int UpstreamInFlight, int ClientInFlight);
