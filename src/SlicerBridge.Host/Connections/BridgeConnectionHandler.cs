using Microsoft.Extensions.Logging;
using SlicerBridge.Host.Networking;
using SlicerBridge.Host.Server;

namespace SlicerBridge.Host.Connections;

/// <summary>Runs a <see cref="ClientSession"/> for each accepted client.</summary>
public sealed class BridgeConnectionHandler(BridgeServer server, ILogger<ClientSession> logger) : IConnectionHandler
{
    public async Task RunAsync(AcceptedClient client, ServerShutdown shutdown, CancellationToken stoppingToken)
    {
        await using var session = new ClientSession(client, server, logger, stoppingToken);
        await session.RunAsync(shutdown);
    }
}
