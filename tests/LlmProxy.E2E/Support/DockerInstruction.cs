namespace LlmProxy.E2E.Support;

/// <summary>An instruction keyword (upper case) and its raw arguments.</summary>
public sealed record DockerInstruction(string Keyword, string Arguments);
