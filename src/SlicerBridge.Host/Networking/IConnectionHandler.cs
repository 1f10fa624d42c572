using System.Net;
using System.Net.Sockets;

namespace SlicerBridge.Host.Networking;

/// <summary>An accepted, allowed client connection.</summary>
public sealed record AcceptedClient(long ConnectionId, Socket Socket, IPEndPoint RemoteEndPoint);

/// <summary>Serves one TCP client for its lifetime (the OpenIGTLink session).</summary>
public interface IConnectionHandler
{
    /// <summary>
    /// Runs until the client disconnects or <paramref name="stoppingToken"/> fires. On shutdown the handler sends
    /// its goodbye (STATUS ShuttingDown) through <paramref name="shutdown"/> before closing.
    /// </summary>
    Task RunAsync(AcceptedClient client, ServerShutdown shutdown, CancellationToken stoppingToken);
}
