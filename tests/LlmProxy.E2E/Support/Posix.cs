using System.Runtime.InteropServices;

namespace LlmProxy.E2E.Support;

/// <summary>Process.Kill sends SIGKILL; graceful-shutdown tests need SIGTERM, so call kill(2) directly.</summary>
internal static partial class Posix
{
    public const int SigTerm = 15;
    public const int SigInt = 2;
    public const int SigHup = 1;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
