using System.Text;

namespace LlmProxy.E2E.Support;

/// <summary>
/// Generates hostile-but-plausible chat requests from a series number: valid bodies mutated (byte flips, truncation, splices),
/// random JSON of random shapes, valid bodies with a lone surrogate escape (<c>\ud800</c>, <c>\udc00</c>: valid JSON, no
/// valid Unicode text) put into a value or a property name, and header sets with odd content types, auth and request
/// ids. Deterministic for a given series, so a failure can be replayed.
/// </summary>
public sealed class RequestFuzzer(int series)
{
    private static readonly string[] Samples =
    [
        """{"model":"my-model","messages":[{"role":"user","content":"hello"}]}""",
        """{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"stream":true}""",
        """{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.2,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"stream_options":{"include_usage":true}}""",
        """{"model":"local-llama","messages":[{"role":"assistant","content":"a"},{"role":"user","content":"b"}],"max_tokens":5}""",
    ];

    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ",", ":", "\"", "null", "true", "false", "-0", "1e999", "-1e-999", "\"\\u0000\"", "\"\\ud800\"",
        "\"model\"", "\"messages\"", "\"role\"", "\"content\"", "\"stream\"", "\"assistant\"", "9999999999999999999999", "NaN",
    ];

    private static readonly string?[] ContentTypes =
    [
        "application/json", "application/json", "application/json; charset=utf-8", "application/vnd.api+json", "text/plain",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "", null, "json",
    ];

    private readonly Random _random = new(series);

    public (byte[] Body, string? ContentType, List<KeyValuePair<string, string>> Headers) Next()
    {
        var body = _random.Next(5) switch
        {
            0 => Mutate(Encoding.UTF8.GetBytes(Pick(Samples))),
            1 => Encoding.UTF8.GetBytes(RandomJson(0)),
            2 => Splice(),
            3 => Encoding.UTF8.GetBytes(WithLoneSurrogate(Pick(Samples))),
            _ => RandomBytes(),
        };
        var headers = new List<KeyValuePair<string, string>>();
        if (_random.Next(5) != 0)
        {
            headers.Add(new("Authorization", _random.Next(4) == 0 ? RandomPrintable(20) : "Bearer fuzz"));
        }
        if (_random.Next(3) == 0)
        {
            headers.Add(new("x-request-id", _random.Next(2) == 0 ? RandomPrintable(_random.Next(0, 200)) : "fuzz-" + _random.Next()));
        }
        if (_random.Next(6) == 0)
        {
            headers.Add(new("Accept", Pick(["text/event-stream", "*/*", "application/json", "garbage"])));
        }
        return (body, Pick(ContentTypes), headers);
    }

    private static readonly string[] LoneSurrogates = ["\\ud800", "\\udc00", "\\udfff", "x\\ud83d", "\\ude00y", "\\ud800\\u0041"];

    /// <summary>
    /// The sample with one of its strings (a value such as the model or a content, or a property name) replaced by, or
    /// extended with, a lone surrogate escape: the body stays valid JSON, so it reaches the code that reads the text.
    /// </summary>
    private string WithLoneSurrogate(string sample)
    {
        var strings = System.Text.RegularExpressions.Regex.Matches(sample, "\"[^\"]*\"");
        var target = strings[_random.Next(strings.Count)];
        var surrogate = Pick(LoneSurrogates);
        var inner = target.Value[1..^1];
        var replaced = _random.Next(3) switch
        {
            0 => surrogate,
            1 => inner + surrogate,
            _ => surrogate + inner,
        };
        return sample[..target.Index] + "\"" + replaced + "\"" + sample[(target.Index + target.Length)..];
    }

    private byte[] Mutate(byte[] bytes)
    {
        var result = bytes.ToList();
        var edits = _random.Next(1, 6);
        for (var i = 0; i < edits && result.Count > 0; i++)
        {
            var at = _random.Next(result.Count);
            switch (_random.Next(5))
            {
                case 0: result[at] = (byte)_random.Next(256); break;
                case 1: result.RemoveAt(at); break;
                case 2: result.InsertRange(at, Encoding.UTF8.GetBytes(Pick(Tokens))); break;
                case 3: result.RemoveRange(at, result.Count - at); break;
                default: result.Insert(at, (byte)_random.Next(0x80, 0x100)); break;
            }
        }
        return [.. result];
    }

    private byte[] Splice()
    {
        var a = Pick(Samples);
        var b = Pick(Samples);
        var cut = _random.Next(a.Length);
        return Encoding.UTF8.GetBytes(a[..cut] + b[_random.Next(b.Length)..]);
    }

    private byte[] RandomBytes()
    {
        var bytes = new byte[_random.Next(0, 300)];
        _random.NextBytes(bytes);
        return bytes;
    }

    private string RandomJson(int depth)
    {
        var choice = depth > 6 ? _random.Next(4) : _random.Next(8);
        return choice switch
        {
            0 => "null",
            1 => _random.Next(2) == 0 ? "true" : "false",
            2 => Pick(["0", "-1", "1.5", "1e308", "-1e-308", "123456789012345678901234567890"]),
            3 => "\"" + Pick(["", "user", "assistant", "system", "tool", "m", "\\u0000", "\\ud83d\\ude00", "\\\"", "x\\ny", "\\ud800", "\\udc00x"]) + "\"",
            4 or 5 => "[" + string.Join(",", Enumerable.Range(0, _random.Next(0, 4)).Select(_ => RandomJson(depth + 1))) + "]",
            _ => "{" + string.Join(",", Enumerable.Range(0, _random.Next(0, 5)).Select(_ =>
                $"\"{Pick(["model", "messages", "role", "content", "stream", "x", "model", "\\udc00", "mod\\ud800el"])}\":{RandomJson(depth + 1)}")) + "}",
        };
    }

    private string RandomPrintable(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)_random.Next(0x21, 0x7F);
        }
        return new string(chars);
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
