using System.Globalization;

namespace Soak;

/// <summary>Reads /proc: the proxy's RSS (VmRSS) and open fds, and the TCP sockets whose remote port is the upstream's.</summary>
public static class ProcSampler
{
    public static long RssKb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        return -1;
    }

    public static int OpenFds(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    /// <summary>
    /// Sockets connected to the upstream port (the proxy's side: remote port = upstream port), all states but
    /// TIME_WAIT (06, which holds no fd), and how many of them are ESTABLISHED (01).
    /// </summary>
    public static (int All, int Established) UpstreamSockets(int upstreamPort)
    {
        var all = 0;
        var established = 0;
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (cols.Length < 4)
                {
                    continue;
                }
                var remote = cols[2];
                var port = int.Parse(remote[(remote.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (port != upstreamPort || cols[3] == "06")
                {
                    continue;
                }
                all++;
                if (cols[3] == "01")
                {
                    established++;
                }
            }
        }
        return (all, established);
    }
}
