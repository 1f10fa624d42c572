using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Streaming;

/// <summary>
/// The server as an OpenIGTLink client of one frame source (PlusServer, a tracked-ultrasound or fluoroscopy feed):
/// connects, reads messages and hands each IMAGE and TRANSFORM to the relay, and when the connection fails or closes
/// reconnects with exponential back-off (initial delay doubling up to the maximum, back to the initial one after a
/// connection that delivered a message). Other message types are read and dropped.
/// </summary>
public sealed class UpstreamFrameSource(StreamEndpoint endpoint, StreamingOptions options, IgtlReaderOptions readerOptions,
    Func<UpstreamFrameSource, IgtlMessage, ValueTask> onMessage, ILogger logger)
{
    private int _connected;
    private long _connections;

    public StreamEndpoint Endpoint { get; } = endpoint;
    public bool Connected => Volatile.Read(ref _connected) == 1;
    public long Connections => Interlocked.Read(ref _connections);
    public string? LastError { get; private set; }

    /// <summary>Runs until cancelled; never throws for network errors.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        int delay = options.ReconnectInitialMilliseconds;
        while (!cancellationToken.IsCancellationRequested)
        {
            bool delivered = false;
            try
            {
                using var client = new TcpClient { NoDelay = true };
                await client.ConnectAsync(Endpoint.Host, Endpoint.Port, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _connected, 1);
                Interlocked.Increment(ref _connections);
                LastError = null;
                logger.LogInformation("Frame source {Source} connected", Endpoint);
                await using var stream = client.GetStream();
                var reader = new IgtlMessageReader(PipeReader.Create(stream), readerOptions);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } message)
                {
                    delivered = true;
                    if (message is ImageMessage or TransformMessage) await onMessage(this, message).ConfigureAwait(false);
                    else message.Dispose();
                }
                LastError = "the source closed the connection";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { break; }
            catch (Exception ex) when (ex is SocketException or IOException or IgtlProtocolException or ObjectDisposedException)
            {
                LastError = ex.Message;
            }
            finally
            {
                Volatile.Write(ref _connected, 0);
            }
            if (delivered) delay = options.ReconnectInitialMilliseconds;
            logger.LogInformation("Frame source {Source} unavailable ({Reason}); retrying in {DelayMs} ms", Endpoint, LastError, delay);
            try { await Task.Delay(delay, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            delay = Math.Min(delay * 2, options.ReconnectMaxMilliseconds);
        }
    }
}
