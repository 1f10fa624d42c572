using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;

namespace SlicerBridge.Host.Networking;

/// <summary>
/// Accepts TCP clients on the configured address, rejects those outside the allowed CIDRs or beyond
/// MaxClients or MaxClientsPerAddress (logged, socket closed at once), and runs one <see cref="IConnectionHandler"/> per client.
/// On stop: no more accepts, clients drain for the deadline, then are told ShuttingDown and closed.
/// </summary>
public sealed class TcpListenerService(IConnectionHandler handler, IOptions<BridgeOptions> options, ILogger<TcpListenerService> logger)
    : BackgroundService
{
    private readonly TaskCompletionSource<IPEndPoint> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<long, Task> _clients = new();
    private readonly ServerShutdown _shutdown = new();
    private Socket? _listener;
    private long _nextId;

    /// <summary>The endpoint actually bound (port 0 in configuration picks a free port).</summary>
    public Task<IPEndPoint> BoundEndPoint => _bound.Task;

    public int ClientCount => _clients.Count;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var server = options.Value.Server;
        var endPoint = new IPEndPoint(IPAddress.Parse(server.BindAddress), server.Port);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endPoint);
            socket.Listen(128);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            var failure = new InvalidOperationException($"Cannot listen on {endPoint}: {ex.Message}", ex);
            _bound.TrySetException(failure);
            throw failure;
        }
        _listener = socket;
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        _bound.TrySetResult(bound);
        logger.LogInformation("Listening on {EndPoint}; allowed clients {Allowed}", bound, string.Join(", ", server.EffectiveAllowedClients));
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var server = options.Value.Server;
        var allowed = server.EffectiveAllowedClients.Select(CidrRange.Parse).ToList();
        var listener = _listener!;
        var perAddress = new ConnectionsPerAddress(server.MaxClientsPerAddress);
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptAsync(stoppingToken); }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) when (stoppingToken.IsCancellationRequested) { break; } // listener closed by StopAsync
            catch (SocketException ex)
            {
                logger.LogWarning("Accept failed: {Error}", ex.Message);
                continue;
            }
            long id = Interlocked.Increment(ref _nextId);
            var remote = (IPEndPoint)client.RemoteEndPoint!;
            if (!allowed.Any(r => r.Contains(remote.Address)))
            {
                logger.LogWarning("Connection {ConnectionId} from {Client} rejected: not in allowed clients {Allowed}",
                    id, remote, string.Join(", ", server.EffectiveAllowedClients));
                client.Dispose();
                continue;
            }
            if (_clients.Count >= server.MaxClients)
            {
                logger.LogWarning("Connection {ConnectionId} from {Client} rejected: {Max} clients already connected", id, remote, server.MaxClients);
                client.Dispose();
                continue;
            }
            if (!perAddress.TryAdd(remote.Address, out int fromAddress))
            {
                logger.LogWarning("Connection {ConnectionId} from {Client} rejected: {Max} connections from {Address} already open (Server:MaxClientsPerAddress)",
                    id, remote, server.MaxClientsPerAddress, remote.Address);
                client.Dispose();
                continue;
            }
            client.NoDelay = true;
            logger.LogInformation("Connection {ConnectionId} from {Client} accepted ({Open} from this address)", id, remote, fromAddress);
            _clients[id] = RunClientAsync(new AcceptedClient(id, client, remote), () => perAddress.Remove(remote.Address));
        }
    }

    private async Task RunClientAsync(AcceptedClient client, Action released)
    {
        await Task.Yield();
        try
        {
            await handler.RunAsync(client, _shutdown, _shutdown.Closing);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            logger.LogDebug("Connection {ConnectionId} ended: {Reason}", client.ConnectionId, ex.Message);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Connection {ConnectionId} from {Client} failed", client.ConnectionId, client.RemoteEndPoint);
        }
        finally
        {
            client.Socket.Dispose();
            released();
            _clients.TryRemove(client.ConnectionId, out _);
            logger.LogInformation("Connection {ConnectionId} from {Client} closed", client.ConnectionId, client.RemoteEndPoint);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose(); // stop accepting first
        await base.StopAsync(cancellationToken);
        var deadline = TimeSpan.FromSeconds(options.Value.Server.ShutdownDeadlineSeconds);
        logger.LogInformation("Shutting down: {Clients} client(s), {Deadline} s for in-flight requests", _clients.Count, deadline.TotalSeconds);
        _shutdown.BeginDraining();
        var all = Task.WhenAll(_clients.Values);
        await Task.WhenAny(all, Task.Delay(deadline, cancellationToken)).ConfigureAwait(false);
        _shutdown.BeginClosing();
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _listener?.Dispose();
        _shutdown.Dispose();
        base.Dispose();
    }
}
