using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SlicerBridge.Host.Hosting;
using SlicerBridge.Host.Networking;
using SlicerBridge.Host.Connections;
using SlicerBridge.Host.Server;

namespace SlicerBridge.Host.Tests.Support;

/// <summary>The real host, in-process on a free loopback port, with the sphere test model as default.</summary>
internal sealed class BridgeTestServer : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    public SphereTestModel Model { get; }
    public IPEndPoint EndPoint { get; private set; } = null!;
    public BridgeServer Server => _host.Services.GetRequiredService<BridgeServer>();
    public T Service<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    private BridgeTestServer(IHost host, SphereTestModel model) { _host = host; Model = model; }

    public static async Task<BridgeTestServer> StartAsync(Dictionary<string, string?>? settings = null, SphereTestModel? model = null)
    {
        model ??= new SphereTestModel();
        var overrides = new Dictionary<string, string?>
        {
            ["Server:Port"] = "0",
            ["Server:ShutdownDeadlineSeconds"] = "2",
            ["Models:Default"] = "sphere",
            ["Models:List:0:Name"] = "sphere", ["Models:List:0:Kind"] = "sphere",
            ["Models:List:1:Name"] = "growcut", ["Models:List:1:Kind"] = "growcut",
            ["Scheduling:Parallelism"] = "2",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? []) overrides[k] = v;
        var builder = BridgeHostBuilder.Create([], overrides, [new SingleModelFactory("sphere", () => model)]);
        var host = builder.Build();
        var server = new BridgeTestServer(host, model);
        await host.StartAsync();
        server.EndPoint = await host.Services.GetRequiredService<TcpListenerService>().BoundEndPoint;
        return server;
    }

    public Task<TestClient> ConnectAsync(ushort headerVersion = 2) => TestClient.ConnectAsync(EndPoint, headerVersion);

    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}
