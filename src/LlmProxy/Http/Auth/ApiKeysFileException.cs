namespace LlmProxy.Http.Auth;

/// <summary>
/// A keys file that cannot be used: its message names the file and, for a bad line, the line number, and never
/// contains a key. At start the process prints it and exits 2; on a reload it is logged and the old keys stay.
/// </summary>
internal sealed class ApiKeysFileException(string message) : Exception(message);
