using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Connections;

/// <summary>
/// The sending half of a connection: one message at a time, in the highest header version the client has used.
/// A dead client is not an error here: sends to it are dropped and logged at debug level. Replies waiting to be written
/// are bounded by <paramref name="maxBytesInFlight"/>: a client that stops reading until they exceed it is cut off
/// (<paramref name="onOverflow"/> closes the socket, which also ends the write that is stuck), and so is one that takes no
/// data for the write timeout of <paramref name="stream"/> (<see cref="WriteDeadlineStream"/>).
/// </summary>
public sealed class ReplyChannel(Stream stream, long connectionId, ILogger logger, long maxBytesInFlight, Action onOverflow) : IAsyncDisposable
{
    private long _bytesInFlight;
    private int _overflowed;

    /// <summary>Bytes of replies accepted and not yet written.</summary>
    public long BytesInFlight => Interlocked.Read(ref _bytesInFlight);

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _replyVersion = 1;
    private bool _closed;

    /// <summary>Replies follow the client's header version (v2 once it has sent one v2 message).</summary>
    public void SawHeaderVersion(ushort version)
    {
        if (version > Volatile.Read(ref _replyVersion)) Volatile.Write(ref _replyVersion, version);
    }

    public async Task SendAsync(IgtlMessage message)
    {
        message.HeaderVersion = (ushort)Volatile.Read(ref _replyVersion);
        try { IgtlMessageWriter.EnsureEncodable(message); }
        catch (InvalidOperationException ex)
        {
            // Never lost silently: the failure is logged and a short reply goes in its place, so the client is not left waiting.
            logger.LogError("Connection {ConnectionId}: {Type} '{Device}' cannot be encoded, sending a short reply instead: {Error}",
                connectionId, message.MessageType, message.DeviceName, ex.Message);
            message = Replies.Unencodable(message, ex.Message);
            message.HeaderVersion = (ushort)Volatile.Read(ref _replyVersion);
        }
        long size = ApproximateFrameBytes(message);
        long inFlight = Interlocked.Add(ref _bytesInFlight, size);
        try
        {
            // One reply larger than the limit still goes when nothing else waits; the limit is on what piles up.
            if (inFlight > maxBytesInFlight && inFlight != size)
            {
                if (Interlocked.Exchange(ref _overflowed, 1) == 0)
                {
                    logger.LogWarning("Connection {ConnectionId}: closing, the client is not reading its replies ({Bytes} bytes waiting, limit {Limit})",
                        connectionId, inFlight, maxBytesInFlight);
                    onOverflow();
                }
                return;
            }
            await _writeLock.WaitAsync();
            try
            {
                if (_closed) return;
                await IgtlMessageWriter.WriteAsync(stream, message);
            }
            catch (TimeoutException ex)
            {
                _closed = true;
                logger.LogWarning("Connection {ConnectionId}: closing, {Error} while sending {Type}", connectionId, ex.Message, message.MessageType);
                onOverflow();
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                _closed = true;
                logger.LogDebug("Connection {ConnectionId}: send of {Type} failed: {Error}", connectionId, message.MessageType, ex.Message);
            }
            finally { _writeLock.Release(); }
        }
        finally { Interlocked.Add(ref _bytesInFlight, -size); }
    }

    /// <summary>Pixels plus a bound on header, content head and metadata.</summary>
    private static long ApproximateFrameBytes(IgtlMessage message) => (message as ImageMessage)?.Pixels.Length + 4096 ?? 4096;

    /// <summary>No more sends; waits for the one in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try { _closed = true; }
        finally { _writeLock.Release(); }
    }
}
