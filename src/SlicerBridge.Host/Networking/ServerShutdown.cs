namespace SlicerBridge.Host.Networking;

/// <summary>
/// The two phases of a graceful stop: <see cref="Draining"/> fires first (stop taking new work, let in-flight
/// requests finish), <see cref="Closing"/> after the deadline (cancel what is left, say goodbye, close).
/// </summary>
public sealed class ServerShutdown : IDisposable
{
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _closing = new();

    public CancellationToken Draining => _draining.Token;
    public CancellationToken Closing => _closing.Token;

    public void BeginDraining() => _draining.Cancel();
    public void BeginClosing() { _draining.Cancel(); _closing.Cancel(); }

    public void Dispose() { _draining.Dispose(); _closing.Dispose(); }
}
