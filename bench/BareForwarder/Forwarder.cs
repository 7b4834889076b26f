using System.Net;

namespace LlmProxy.Bench.BareForwarder;

/// <summary>
/// Forwards one request: the same method, path and query to the upstream, the body streamed as it arrives with its
/// Content-Type and Content-Length, then the status, Content-Type and Content-Length back and the body relayed read by
/// read, each read flushed at once (so an SSE stream reaches the client event by event). No other header is copied
/// in either direction: a gateway builds its own upstream request, and this is the least any gateway does.
/// </summary>
internal sealed class Forwarder(Uri upstream, HttpMessageInvoker invoker)
{
    private readonly string _prefix = upstream.GetLeftPart(UriPartial.Authority);

    /// <summary>The one client: a pooled <see cref="SocketsHttpHandler"/> as a gateway configures it.</summary>
    public static HttpMessageInvoker CreateInvoker() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        // No W3C trace headers on the upstream request: no features.
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
    });

    public async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var aborted = context.RequestAborted;
        using var message = new HttpRequestMessage(HttpMethod.Parse(request.Method),
            new Uri(_prefix + request.Path.Value + request.QueryString.Value));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            message.Content = new StreamContent(request.Body);
            message.Content.Headers.ContentLength = request.ContentLength;
            if (request.ContentType is { } contentType)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        HttpResponseMessage upstreamResponse;
        try
        {
            upstreamResponse = await invoker.SendAsync(message, aborted);
        }
        catch (HttpRequestException)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return;
        }

        using (upstreamResponse)
        {
            var response = context.Response;
            response.StatusCode = (int)upstreamResponse.StatusCode;
            var headers = upstreamResponse.Content.Headers;
            if (headers.NonValidated.TryGetValues("Content-Type", out var type))
            {
                response.ContentType = type.ToString();
            }
            response.ContentLength = headers.ContentLength;
            await RelayAsync(await upstreamResponse.Content.ReadAsStreamAsync(aborted), response, aborted);
        }
    }

    /// <summary>Reads straight into Kestrel's response pipe and flushes after every read.</summary>
    private static async Task RelayAsync(Stream source, HttpResponse response, CancellationToken aborted)
    {
        var writer = response.BodyWriter;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory();
                var read = await source.ReadAsync(memory, aborted);
                if (read == 0)
                {
                    return;
                }
                writer.Advance(read);
                var flushed = await writer.FlushAsync(aborted);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client left: nothing to relay to.
        }
        catch (IOException) when (aborted.IsCancellationRequested)
        {
        }
    }
}
