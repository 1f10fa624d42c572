using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace SlicerBridge.Host.Connections;

/// <summary>Work a connection started and must wait for before it closes (segmentations waiting for their result).</summary>
public sealed class BackgroundWork(long connectionId, ILogger logger)
{
    private readonly HashSet<Task> _inFlight = [];

    /// <summary>Runs <paramref name="work"/> in the background; a failure that escapes it is a bug and is logged as one.</summary>
    public void Track(Func<Task> work)
    {
        var task = Task.Run(async () =>
        {
            try { await work(); }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException) { }
            catch (Exception ex) { logger.LogError(ex, "Connection {ConnectionId}: request failed", connectionId); }
        });
        lock (_inFlight) _inFlight.Add(task);
        task.ContinueWith(t => { lock (_inFlight) _inFlight.Remove(t); }, TaskScheduler.Default);
    }

    public Task WaitAsync()
    {
        Task[] pending;
        lock (_inFlight) pending = [.. _inFlight];
        return Task.WhenAll(pending);
    }
}
