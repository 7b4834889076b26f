namespace Soak;

/// <summary>The model names that select the fake upstream's behaviour.</summary>
public static class Models
{
    public const string Ok = "soak-ok";
    public const string LongStream = "soak-long";
    public const string Error500 = "soak-500";
    public const string Error429 = "soak-429";
    public const string MidStreamError = "soak-midstream-error";
    public const string ResetMidStream = "soak-reset";
    public const string NoDone = "soak-no-done";

    public static readonly string[] StreamWords = ["a ", "b ", "c ", "d ", "e "];

    public const string StreamText = "a b c d e ";

    /// <summary>The model is the first "model" string in the body (the driver writes it first).</summary>
    public static string Of(string body)
    {
        const string key = "\"model\":\"";
        var start = body.IndexOf(key, StringComparison.Ordinal);
        if (start < 0)
        {
            return "";
        }
        start += key.Length;
        var end = body.IndexOf('"', start);
        return end < 0 ? "" : body[start..end];
    }
}
