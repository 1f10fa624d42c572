using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Connections;

/// <summary>
/// The sending half of a connection: one message at a time, in the highest header version the client has used.
/// A dead client is not an error here: sends to it are dropped and logged at debug level.
/// </summary>
public sealed class ReplyChannel(Stream stream, long connectionId, ILogger logger) : IAsyncDisposable
{
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
        await _writeLock.WaitAsync();
        try
        {
            if (_closed) return;
            await IgtlMessageWriter.WriteAsync(stream, message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _closed = true;
            logger.LogDebug("Connection {ConnectionId}: send of {Type} failed: {Error}", connectionId, message.MessageType, ex.Message);
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>No more sends; waits for the one in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try { _closed = true; }
        finally { _writeLock.Release(); }
    }
}
