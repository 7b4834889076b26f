using System.Collections.Concurrent;
using System.Collections.Frozen;
using LlmProxy.Metrics;

namespace LlmProxy.Routing;

/// <summary>
/// Which upstream serves which model (docs/upstreams.md, Model lists): an index over every upstream's list, rebuilt
/// whenever a list changes (rare) and read lock-free per request. Ollama names a model both <c>llama3</c> and
/// <c>llama3:latest</c>: the index matches either form with the other. It also knows every model name the
/// configuration and the lists give, which is what the metrics may use as <c>model</c> labels.
/// </summary>
internal sealed class ModelCatalog
{
    private const string LatestTag = ":latest";

    private readonly UpstreamPool _pool;
    private readonly RoutingTable _table;
    private readonly Lock _rebuildLock = new();
    private readonly ConcurrentDictionary<string, byte> _answered = new(StringComparer.Ordinal);
    private Snapshot _snapshot;

    public ModelCatalog(UpstreamPool pool, RoutingTable table, LlmMetrics metrics)
    {
        _pool = pool;
        _table = table;
        _snapshot = Build();
        pool.Changed += Rebuild;
        metrics.LimitModelLabelsTo(IsKnownModel);
    }

    /// <summary>
    /// The upstreams whose list names <paramref name="model"/>, in configuration order. When none does, those whose list
    /// is not known yet (they might serve it); when every list is known, none.
    /// </summary>
    public UpstreamEntry[] CandidatesFor(string model)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        return snapshot.ByModelLookup.TryGetValue(Key(model), out var entries) ? entries : snapshot.Unlisted;
    }

    /// <summary>
    /// Whether <paramref name="model"/> is a real model name, fit to be a <c>model</c> label (docs/operations.md,
    /// Metrics): the configuration (map, aliases) or an upstream's list names it, a model server has answered a request
    /// for it, or it goes to the stub (which answers every name and serves no real model). A made-up name sent to a
    /// real server is none of these, so junk names cannot use up the labels of real ones.
    /// </summary>
    public bool IsKnownModel(string model) =>
        Volatile.Read(ref _snapshot).KnownLookup.Contains(Key(model))
        || _answered.ContainsKey(model)
        || (_table.Map.Match(model) ?? _table.DefaultProvider) == ProviderNames.Stub;

    /// <summary>
    /// A model server whose list is not known answered a request for <paramref name="model"/> with success: the name is
    /// taken for a real one (the legacy upstream, whose list is read only when a client asks, or a server whose list
    /// is not read yet). At most <see cref="LlmMetrics.MaxModelLabels"/> names are learned this way.
    /// </summary>
    public void Answered(string model)
    {
        if (_answered.Count < LlmMetrics.MaxModelLabels && !_answered.ContainsKey(model))
        {
            _answered.TryAdd(model, 0);
        }
    }

    /// <summary>Rebuilds the index from the current lists (after a list changed or an upstream joined).</summary>
    public void Rebuild()
    {
        lock (_rebuildLock)
        {
            Volatile.Write(ref _snapshot, Build());
        }
    }

    private Snapshot Build()
    {
        var byModel = new Dictionary<string, List<UpstreamEntry>>(StringComparer.Ordinal);
        var unlisted = new List<UpstreamEntry>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in _pool.Entries)
        {
            if (entry.Models is not { } models)
            {
                unlisted.Add(entry);
                continue;
            }
            foreach (var model in models)
            {
                var key = KeyText(model.Id);
                known.Add(key);
                if (!byModel.TryGetValue(key, out var list))
                {
                    byModel[key] = list = [];
                }
                if (!list.Contains(entry))
                {
                    list.Add(entry);
                }
            }
        }
        foreach (var name in _table.Map.ExactModels)
        {
            known.Add(KeyText(name));
        }
        foreach (var (alias, target) in _table.Aliases.Targets)
        {
            known.Add(KeyText(alias));
            known.Add(KeyText(target));
        }
        return new Snapshot(
            byModel.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal),
            [.. unlisted],
            known.ToFrozenSet(StringComparer.Ordinal));
    }

    /// <summary>The name a model is indexed by: without Ollama's default <c>:latest</c> tag (a span: looking up allocates nothing).</summary>
    private static ReadOnlySpan<char> Key(string model) =>
        model.EndsWith(LatestTag, StringComparison.Ordinal) && model.Length > LatestTag.Length ? model.AsSpan(0, model.Length - LatestTag.Length) : model;

    private static string KeyText(string model) => Key(model).Length == model.Length ? model : Key(model).ToString();

    private sealed class Snapshot(FrozenDictionary<string, UpstreamEntry[]> byModel, UpstreamEntry[] unlisted, FrozenSet<string> known)
    {
        public FrozenDictionary<string, UpstreamEntry[]>.AlternateLookup<ReadOnlySpan<char>> ByModelLookup { get; } = byModel.GetAlternateLookup<ReadOnlySpan<char>>();

        public UpstreamEntry[] Unlisted { get; } = unlisted;

        public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> KnownLookup { get; } = known.GetAlternateLookup<ReadOnlySpan<char>>();
    }
}
