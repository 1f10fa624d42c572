using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SlicerBridge.Host.Networking;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Sessions;

/// <summary>
/// One connected client (docs/protocol.md): reads messages in order, keeps the session state, starts
/// segmentations without blocking the reader (so a newer POINT can supersede an older one), and serialises
/// every reply on the socket. Bad input is answered and the session goes on; only a broken stream ends it.
/// </summary>
public sealed partial class ClientSession : IAsyncDisposable
{
    private readonly AcceptedClient _client;
    private readonly BridgeServer _server;
    private readonly ILogger _logger;
    private readonly NetworkStream _stream;
    private readonly PipeWriter _output;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _sessionCts;
    private readonly object _gate = new();
    private readonly Dictionary<string, VolumeSlot> _volumes = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _inFlight = [];
    private VolumeSlot? _target;
    private string _model;
    private int _replyVersion = 1;
    private bool _closed;

    public ClientSession(AcceptedClient client, BridgeServer server, ILogger logger, CancellationToken closing)
    {
        _client = client;
        _server = server;
        _logger = logger;
        _model = server.Options.Models.Default;
        _stream = new NetworkStream(client.Socket, ownsSocket: false);
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
        _sessionCts = CancellationTokenSource.CreateLinkedTokenSource(closing);
    }

    private string SupersedeKey(string volume) => $"{_client.ConnectionId}/{volume}";

    public async Task RunAsync(ServerShutdown shutdown)
    {
        _server.SessionOpened();
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["ConnectionId"] = _client.ConnectionId, ["Client"] = _client.RemoteEndPoint });
        using var readCts = CancellationTokenSource.CreateLinkedTokenSource(shutdown.Draining, _sessionCts.Token);
        var reader = new IgtlMessageReader(PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true)), _server.ReaderOptions);
        try
        {
            await ReadLoopAsync(reader, readCts.Token);
        }
        catch (OperationCanceledException) when (readCts.IsCancellationRequested) { }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            _logger.LogInformation("Connection {ConnectionId}: client stream ended ({Reason})", _client.ConnectionId, ex.Message);
        }
        if (shutdown.Draining.IsCancellationRequested)
        {
            // Graceful stop: let in-flight work finish (or be cancelled at the deadline), then say goodbye.
            await WaitInFlightAsync();
            await TrySendAsync(new StatusMessage
            {
                Code = IgtlStatusCode.ShuttingDown, ErrorName = "ShuttingDown", Message = "SlicerBridge server is shutting down.",
            });
        }
        else
        {
            _sessionCts.Cancel(); // client gone: its queued and running jobs are cancelled
            await WaitInFlightAsync();
        }
    }

    private async Task ReadLoopAsync(IgtlMessageReader reader, CancellationToken token)
    {
        while (true)
        {
            IgtlMessage? message;
            try
            {
                message = await reader.ReadAsync(token);
            }
            catch (IgtlProtocolException ex)
            {
                string device = ex switch
                {
                    IgtlChecksumMismatchException c => c.Header.DeviceName,
                    IgtlMalformedMessageException m => m.Header.DeviceName,
                    _ => "",
                };
                var code = ex switch
                {
                    IgtlChecksumMismatchException => IgtlStatusCode.ChecksumError,
                    IgtlLimitExceededException => IgtlStatusCode.Overflow,
                    _ => IgtlStatusCode.ConfigurationError,
                };
                _logger.LogWarning("Connection {ConnectionId}: rejected message from '{Device}': {Reason} {Error}",
                    _client.ConnectionId, device, ex.Reason, ex.Message);
                if (ex is IgtlTruncatedMessageException) return; // the peer closed mid-message: nothing to answer
                await TrySendAsync(new StatusMessage { DeviceName = device, Code = code, ErrorName = ex.Reason.ToString(), Message = ex.Message });
                if (!ex.FramingIntact)
                {
                    // Cannot find the next message: close this connection only, after the STATUS has been delivered.
                    await LingerAsync();
                    return;
                }
                continue;
            }
            if (message is null) return;
            using (message)
            {
                if (message.HeaderVersion > _replyVersion) _replyVersion = message.HeaderVersion;
                try
                {
                    await DispatchAsync(message);
                }
                catch (InputRejectedException ex)
                {
                    _logger.LogWarning("Connection {ConnectionId}: {Type} '{Device}' rejected: {Error}", _client.ConnectionId, message.MessageType, message.DeviceName, ex.Message);
                    await TrySendAsync(new StatusMessage { DeviceName = message.DeviceName, Code = ex.Code, ErrorName = ex.ErrorName, Message = ex.Message });
                }
                catch (Exception ex) when (ex is not (OperationCanceledException or IOException or SocketException or ObjectDisposedException))
                {
                    _logger.LogError(ex, "Connection {ConnectionId}: {Type} '{Device}' failed", _client.ConnectionId, message.MessageType, message.DeviceName);
                    await TrySendAsync(new StatusMessage { DeviceName = message.DeviceName, Code = IgtlStatusCode.UnknownError, ErrorName = "InternalError", Message = ex.Message });
                }
            }
        }
    }

    private Task DispatchAsync(IgtlMessage message) => message switch
    {
        ImageMessage image => OnImageAsync(image),
        PointMessage points => OnPointsAsync(points),
        CommandMessage command when command is not RtsCommandMessage => OnCommandAsync(command),
        QueryMessage { MessageType: "GET_STATUS" } => TrySendAsync(new StatusMessage
        {
            DeviceName = message.DeviceName, Code = IgtlStatusCode.Ok, ErrorName = "", Message = StatusJson(),
        }),
        QueryMessage { MessageType: "GET_CAPABIL" } => SendCapabilityAsync(message.DeviceName),
        // Any other query asks for something this server does not serve: say so rather than leave the client waiting.
        QueryMessage query => throw new InputRejectedException(IgtlStatusCode.UnknownInstruction, "UnknownInstruction",
            $"{query.MessageType} is not served by SlicerBridge; it answers GET_STATUS and GET_CAPABIL (see the CAPABILITY reply)."),
        _ => Task.CompletedTask, // STATUS (incl. Slicer's empty-name "dummy"), unknown and unused types are ignored
    };

    private Task SendCapabilityAsync(string device)
    {
        var capability = new CapabilityMessage { DeviceName = device };
        capability.Types.AddRange(["IMAGE", "POINT", "COMMAND", "STATUS", "GET_STATUS", "GET_CAPABIL", "RTS_COMMAND", "CAPABILITY"]);
        return TrySendAsync(capability);
    }

    private Task OnImageAsync(ImageMessage image)
    {
        Volume volume = ImageVolumeConverter.ToVolume(image);
        string key;
        try { key = _server.Cache.AddPinned(volume); }
        catch (VolumeTooLargeException ex) { throw new InputRejectedException(IgtlStatusCode.Overflow, "TooLarge", ex.Message); }
        string? unpin = null;
        lock (_gate)
        {
            if (_volumes.TryGetValue(volume.Name, out var slot))
            {
                if (ReferenceEquals(slot, _target)) unpin = slot.ContentKey;
                if (slot.ContentKey != key) slot.ReplaceContent(key, volume.Geometry);
            }
            else _volumes[volume.Name] = slot = new VolumeSlot(volume.Name, key, volume.Geometry);
            if (_target is not null && !ReferenceEquals(_target, slot)) unpin = _target.ContentKey;
            _target = slot;
        }
        if (unpin is not null) _server.Cache.Unpin(unpin);
        _logger.LogInformation("Connection {ConnectionId}: volume '{Volume}' {Geometry} ({Type}) is the target",
            _client.ConnectionId, volume.Name, volume.Geometry, volume.SourceType);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Half-closes and discards what the client is still sending (briefly): closing a socket with unread input
    /// sends a reset, which would make the client drop the STATUS explaining why.
    /// </summary>
    private async Task LingerAsync()
    {
        try
        {
            _client.Socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var sink = new byte[64 * 1024];
            while (await _stream.ReadAsync(sink, timeout.Token) > 0) { }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException) { }
    }

    /// <summary>Runs <paramref name="work"/> in the background, tracked so shutdown can wait for it.</summary>
    private void Track(Func<Task> work)
    {
        var task = Task.Run(async () =>
        {
            try { await work(); }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException) { }
            catch (Exception ex) { _logger.LogError(ex, "Connection {ConnectionId}: request failed", _client.ConnectionId); }
        });
        lock (_inFlight) _inFlight.Add(task);
        task.ContinueWith(t => { lock (_inFlight) _inFlight.Remove(t); }, TaskScheduler.Default);
    }

    private async Task WaitInFlightAsync()
    {
        Task[] pending;
        lock (_inFlight) pending = [.. _inFlight];
        await Task.WhenAll(pending);
    }

    /// <summary>Sends one message in the client's header version; a dead client is not an error here.</summary>
    private async Task TrySendAsync(IgtlMessage message)
    {
        message.HeaderVersion = (ushort)Volatile.Read(ref _replyVersion);
        await _writeLock.WaitAsync();
        try
        {
            if (_closed) return;
            await IgtlMessageWriter.WriteAsync(_output, message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _closed = true;
            _logger.LogDebug("Connection {ConnectionId}: send of {Type} failed: {Error}", _client.ConnectionId, message.MessageType, ex.Message);
        }
        finally { _writeLock.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            _closed = true;
            await _output.CompleteAsync();
        }
        finally { _writeLock.Release(); }
        string? unpin;
        lock (_gate) { unpin = _target?.ContentKey; _target = null; }
        if (unpin is not null) _server.Cache.Unpin(unpin);
        _server.SessionClosed();
        _sessionCts.Dispose();
        await _stream.DisposeAsync();
    }
}
