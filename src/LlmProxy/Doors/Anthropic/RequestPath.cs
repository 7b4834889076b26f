using System.Globalization;
using System.Text;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// Where the parser is in the request (<c>messages.2.content.0</c>), kept as a small stack of names and indices and
/// spelled out only when a problem is reported, so a valid request costs no strings. The spelling follows Anthropic's
/// own validation messages ("messages.0.content.1.text: Input should be a valid string").
/// </summary>
internal sealed class RequestPath
{
    private const int MaxSegments = 8;
    private const int MaxLeafBytes = 64;
    private readonly string?[] _names = new string?[MaxSegments];
    private readonly int[] _indices = new int[MaxSegments];
    private int _count;

    public void Push(string name)
    {
        if (_count < MaxSegments)
        {
            _names[_count] = name;
        }
        _count++;
    }

    public void Push(int index)
    {
        if (_count < MaxSegments)
        {
            _names[_count] = null;
            _indices[_count] = index;
        }
        _count++;
    }

    public void Pop() => _count--;

    /// <summary>The problem as one line: the path, then the leaf field (if any; its raw name), then the message.</summary>
    public InvalidRequestException Problem(ReadOnlySpan<byte> leaf, string message)
    {
        var text = new StringBuilder();
        for (var i = 0; i < Math.Min(_count, MaxSegments); i++)
        {
            if (i > 0)
            {
                text.Append('.');
            }
            if (_names[i] is { } name)
            {
                text.Append(name);
            }
            else
            {
                text.Append(_indices[i].ToString(CultureInfo.InvariantCulture));
            }
        }
        if (!leaf.IsEmpty)
        {
            // A client-chosen field name is echoed; a long one is cut so the message stays one short line.
            text.Append(text.Length > 0 ? "." : "").Append(Encoding.UTF8.GetString(leaf[..Math.Min(leaf.Length, MaxLeafBytes)]));
        }
        text.Append(text.Length > 0 ? ": " : "").Append(message);
        return new InvalidRequestException(text.ToString());
    }
}

/// <summary>Unwinds the parser to <see cref="AnthropicRequestParser.Parse"/>, which turns it into a 400; never escapes it.</summary>
internal sealed class InvalidRequestException(string message) : Exception(message);
