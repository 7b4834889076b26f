namespace LlmProxy.Cli;

/// <summary>A bad setting: the process prints <see cref="Exception.Message"/> (naming the variable or flag) and exits 2.</summary>
public sealed class SettingsException(string message) : Exception(message);
