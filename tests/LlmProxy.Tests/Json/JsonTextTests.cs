using System.Text;
using System.Text.Json;
using LlmProxy.Json;

namespace LlmProxy.Tests.Json;

public class JsonTextTests
{
    private static Utf8JsonReader ReaderOnFirstName(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        reader.Read();
        return reader;
    }

    [Theory]
    [InlineData("""{"model":1}""", true)]
    [InlineData("""{"mod\u0065l":1}""", true)]
    [InlineData("""{"\ud800":1}""", false)]
    [InlineData("""{"\udc00model":1}""", false)]
    [InlineData("""{"models":1}""", false)]
    public void A_name_compares_without_ever_throwing_even_with_a_lone_surrogate_escape(string json, bool isModel)
    {
        var reader = ReaderOnFirstName(json);
        Assert.Equal(isModel, JsonText.Is(ref reader, "model"u8));
    }

    [Fact]
    public void The_framework_call_it_replaces_does_throw_on_a_lone_surrogate_escape()
    {
        // Why JsonText exists: ValueTextEquals throws InvalidOperationException, which no catch (JsonException) sees.
        Assert.Throws<InvalidOperationException>(() =>
        {
            var reader = ReaderOnFirstName("""{"\udc00":1}""");
            return reader.ValueTextEquals("model"u8);
        });
    }

    [Fact]
    public void A_string_with_a_lone_surrogate_is_not_text_and_a_paired_one_is()
    {
        var reader = new Utf8JsonReader("\"a\\ud800b\""u8);
        reader.Read();
        Assert.Null(JsonText.TryGetString(ref reader));

        var pair = new Utf8JsonReader("\"\\ud83d\\ude00\""u8);
        pair.Read();
        Assert.Equal("\U0001F600", JsonText.TryGetString(ref pair));
    }

    [Theory]
    [InlineData("""["plain"]""", "plain")]
    [InlineData("""["a\ud800b"]""", "a\uFFFDb")]
    [InlineData("""["\udc00\ud800"]""", "\uFFFD\uFFFD")]
    [InlineData("""["x\ud83d\ude00y\ud83d"]""", "x\U0001F600y\uFFFD")]
    [InlineData("""["tab\tnew\nquote\"slash\\\/ \u00e9"]""", "tab\tnew\nquote\"slash\\/ é")]
    [InlineData("""["end\ud800"]""", "end\uFFFD")]
    public void Lenient_text_replaces_each_lone_surrogate_and_keeps_everything_else(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Equal(expected, JsonText.GetStringLenient(document.RootElement[0]));
    }

    [Fact]
    public void Lenient_text_replaces_invalid_utf8_inside_a_string_too()
    {
        // An upstream's bytes are not validated up front: 0xFF inside a string makes GetString throw.
        using var document = JsonDocument.Parse(new byte[] { (byte)'[', (byte)'"', (byte)'a', 0xFF, (byte)'b', (byte)'"', (byte)']' });
        Assert.False(JsonText.TryGetString(document.RootElement[0], out _));
        Assert.Equal("a\uFFFDb", JsonText.GetStringLenient(document.RootElement[0]));
    }

    [Theory]
    [InlineData("plain text", false)]
    [InlineData("a\\ud800b", true)]
    [InlineData("\\udc00", true)]
    [InlineData("\\ud83d\\ude00 paired", false)]
    [InlineData("\\ud83d\\u0041", true)]
    [InlineData("end \\ud83d", true)]
    [InlineData("\\\\ud800 is an escaped backslash, then text", false)]
    [InlineData("\\n\\t\\\" \\u00e9", false)]
    public void A_lone_surrogate_escape_is_found_in_the_raw_bytes_without_decoding(string raw, bool lone)
    {
        Assert.Equal(lone, JsonText.HasLoneSurrogateEscape(Encoding.UTF8.GetBytes(raw)));
    }
}
