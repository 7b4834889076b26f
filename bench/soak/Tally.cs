using System.Collections.Concurrent;

namespace Soak;

/// <summary>Every request's outcome by kind, and every violation of the documented behaviour (the first few kept verbatim).</summary>
public sealed class Tally
{
    private readonly ConcurrentQueue<string> _examples = new();
    private long _violations;
    private long _requests;

    public ConcurrentDictionary<string, long> ByKind { get; } = new();

    public long Requests => Interlocked.Read(ref _requests);

    public long Violations => Interlocked.Read(ref _violations);

    public IReadOnlyCollection<string> Examples => _examples;

    public void Ok(string kind)
    {
        Interlocked.Increment(ref _requests);
        ByKind.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }

    public void Violation(string kind, string what)
    {
        Interlocked.Increment(ref _requests);
        ByKind.AddOrUpdate("VIOLATION " + kind, 1, (_, n) => n + 1);
        if (Interlocked.Increment(ref _violations) <= 20)
        {
            _examples.Enqueue($"{kind}: {what}");
        }
    }
}
