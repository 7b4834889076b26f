using System.Text;

namespace LlmProxy.E2E.Support;

/// <summary>
/// A JSON request body kept uploading for as long as a test needs: the JSON up to its last <c>}</c> first, then spaces
/// (insignificant JSON whitespace, RFC 8259 §2) trickled in while the test works, then the rest and the closing
/// <c>}</c> on <see cref="FinishAsync"/>. The trickle keeps the upload above Kestrel's MinRequestBodyDataRate
/// (240 bytes/s after a 5 s grace period), so a slow test machine cannot turn the in-flight request into a 408.
/// </summary>
public sealed class SlowUpload : IAsyncDisposable
{
    private const int Padding = 256 * 1024;
    private const int Step = 1024;
    private readonly RawHttpConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _trickle;
    private int _sent;

    private SlowUpload(RawHttpConnection connection)
    {
        _connection = connection;
        _trickle = TrickleAsync();
    }

    /// <summary>Sends the request head and all of <paramref name="json"/> but its final <c>}</c>, then keeps trickling.</summary>
    public static async Task<SlowUpload> StartAsync(RawHttpConnection connection, string path, string json)
    {
        var body = Encoding.UTF8.GetBytes(json.TrimEnd());
        if (body[^1] != (byte)'}')
        {
            throw new ArgumentException("the JSON must end with }", nameof(json));
        }
        await connection.SendAsync([.. RawHttpConnection.PostHead(path, body.Length + Padding), .. body[..^1]]);
        return new SlowUpload(connection);
    }

    /// <summary>Stops the trickle and sends the rest of the body; the request is then complete.</summary>
    public async Task FinishAsync()
    {
        await _stop.CancelAsync();
        await _trickle;
        var rest = new byte[Padding - _sent + 1];
        rest.AsSpan(0, rest.Length - 1).Fill((byte)' ');
        rest[^1] = (byte)'}';
        await _connection.SendAsync(rest);
    }

    private async Task TrickleAsync()
    {
        var spaces = Enumerable.Repeat((byte)' ', Step).ToArray();
        try
        {
            while (_sent + Step <= Padding)
            {
                await Task.Delay(100, _stop.Token);
                await _connection.SendAsync(spaces);
                _sent += Step;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _trickle;
        }
        catch (IOException)
        {
        }
        _stop.Dispose();
    }
}
