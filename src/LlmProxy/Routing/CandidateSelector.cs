namespace LlmProxy.Routing;

/// <summary>
/// Chooses the upstream for the next attempt (docs/upstreams.md, Choosing an upstream): among the candidates not
/// excluded, healthy ones only (unless all are down: then the best of those, rather than failing without trying);
/// one with a free slot before one whose queue it would join; then the lowest priority number; then the fewest
/// requests in flight (for a full one: the shortest queue). Equals take turns: the scan starts at a rotating index, so
/// ties go round robin. No allocation: one pass over the array.
/// </summary>
internal static class CandidateSelector
{
    /// <summary>The index of the candidate to try, or -1 when every one is excluded.</summary>
    /// <param name="candidates">The route's candidates.</param>
    /// <param name="excluded">Bit i set: candidate i is not to be tried (indices from 64 on are never excluded).</param>
    /// <param name="rotation">Any number that changes from request to request: where the scan starts.</param>
    public static int Pick(ReadOnlySpan<UpstreamEntry> candidates, ulong excluded, uint rotation)
    {
        var count = candidates.Length;
        if (count == 1)
        {
            return (excluded & 1) == 0 ? 0 : -1;
        }
        var anyHealthy = false;
        for (var i = 0; i < count; i++)
        {
            if (!IsExcluded(excluded, i) && !candidates[i].IsDown)
            {
                anyHealthy = true;
                break;
            }
        }
        var best = -1;
        var bestFull = false;
        var bestPriority = 0;
        var bestLoad = 0;
        var start = (int)(rotation % (uint)count);
        for (var k = 0; k < count; k++)
        {
            var i = start + k < count ? start + k : start + k - count;
            var candidate = candidates[i];
            if (IsExcluded(excluded, i) || (anyHealthy && candidate.IsDown))
            {
                continue;
            }
            var gate = candidate.Gate;
            var full = !gate.HasRoom;
            var load = full ? gate.Queued : gate.InFlight;
            if (best < 0 || IsBetter(full, candidate.Priority, load, bestFull, bestPriority, bestLoad))
            {
                (best, bestFull, bestPriority, bestLoad) = (i, full, candidate.Priority, load);
            }
        }
        return best;
    }

    private static bool IsExcluded(ulong excluded, int index) => index < 64 && (excluded & (1UL << index)) != 0;

    private static bool IsBetter(bool full, int priority, int load, bool bestFull, int bestPriority, int bestLoad) =>
        full != bestFull ? !full
        : priority != bestPriority ? priority < bestPriority
        : load < bestLoad;
}
