namespace LlmProxy.Doors.Ollama;

/// <summary>
/// The four durations Ollama reports on its last line, in nanoseconds. The proxy measures them from outside the model:
/// <see cref="PromptEvalNs"/> is the wait until the first token (prompt processing plus network and queue),
/// <see cref="EvalNs"/> the time from the first token to the end, <see cref="LoadNs"/> is always 0 (a model load is
/// invisible behind an OpenAI endpoint). docs/ollama.md, "Counts and durations".
/// </summary>
internal readonly record struct OllamaTimings(long TotalNs, long LoadNs, long PromptEvalNs, long EvalNs)
{
    /// <summary>A whole answer received at once: no first-token moment, so the upstream call is all "eval".</summary>
    public static OllamaTimings Whole(TimeSpan elapsed) => new(Ns(elapsed), 0, 0, Ns(elapsed));

    /// <summary>A stream: start, first token (null when none came) and end.</summary>
    public static OllamaTimings Streamed(TimeSpan total, TimeSpan? untilFirstToken)
    {
        var first = untilFirstToken is { } t ? Ns(t) : Ns(total);
        return new(Ns(total), 0, first, Math.Max(0, Ns(total) - first));
    }

    private static long Ns(TimeSpan span) => span.Ticks * 100;
}
