using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Host.Networking;

namespace SlicerBridge.Host.Tests.Core;

public class TcpListenerServiceTests
{
    /// <summary>Writes "hello", then on drain writes "bye" and returns.</summary>
    private sealed class GreetingHandler : IConnectionHandler
    {
        public async Task RunAsync(AcceptedClient client, ServerShutdown shutdown, CancellationToken stoppingToken)
        {
            await client.Socket.SendAsync("hello"u8.ToArray(), SocketFlags.None, stoppingToken);
            try { await Task.Delay(Timeout.Infinite, shutdown.Draining); } catch (OperationCanceledException) { }
            await client.Socket.SendAsync("bye"u8.ToArray(), SocketFlags.None, CancellationToken.None);
        }
    }

    private static TcpListenerService Create(params string[] allowed) => new(new GreetingHandler(),
        Options.Create(new BridgeOptions { Server = { Port = 0, AllowedClients = [.. allowed], ShutdownDeadlineSeconds = 5 } }),
        NullLogger<TcpListenerService>.Instance);

    private static async Task<string> ReadAllAsync(Socket s)
    {
        var buffer = new byte[64];
        var text = new System.Text.StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n;
        while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            text.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        return text.ToString();
    }

    [Fact]
    public async Task Clients_outside_allowed_cidrs_are_closed_at_accept()
    {
        using var service = Create("10.0.0.0/8");
        await service.StartAsync(CancellationToken.None);
        var ep = await service.BoundEndPoint;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(ep);
        Assert.Equal("", await ReadAllAsync(socket)); // closed without a byte
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Allowed_clients_are_served_and_told_goodbye_on_stop()
    {
        using var service = Create("127.0.0.0/8");
        await service.StartAsync(CancellationToken.None);
        var ep = await service.BoundEndPoint;
        Assert.Equal(IPAddress.Loopback, ep.Address);
        Assert.NotEqual(0, ep.Port);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(ep);
        var buffer = new byte[5];
        Assert.Equal(5, await socket.ReceiveAsync(buffer, SocketFlags.None));
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer));
        var reading = ReadAllAsync(socket);
        await service.StopAsync(CancellationToken.None);
        Assert.Equal("bye", await reading);
        Assert.Equal(0, service.ClientCount);
    }
}
