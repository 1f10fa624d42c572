using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

public class LifecycleTests
{
    [Fact]
    public async Task Untargeted_volumes_are_evicted_under_the_budget_and_must_be_resent()
    {
        // 20^3 float32 = 32000 bytes; the budget holds two volumes.
        await using var server = await BridgeTestServer.StartAsync(new() { ["Cache:MemoryBudgetBytes"] = "70000" });
        await using var client = await server.ConnectAsync();
        // Distinct origins, so the three volumes have distinct content keys.
        static double[] At(double x) => [1, 0, 0, x, 0, 1, 0, 0, 0, 0, 1, 0];
        await client.SendAsync(TestImages.Int16Volume("first", 20, At(0)));
        await client.SendAsync(TestImages.Int16Volume("second", 20, At(0.5)));
        await client.SendAsync(TestImages.Int16Volume("third", 20, At(0.25))); // "first" is the least recently used, untargeted
        var (status, _) = await client.CommandAsync("GetStatus");
        var cache = JsonDocument.Parse(status.Content).RootElement.GetProperty("cache");
        Assert.Equal(2, cache.GetProperty("volumes").GetInt32());
        Assert.Equal(64000, cache.GetProperty("usedBytes").GetInt64());

        var (target, _) = await client.CommandAsync("SetTarget", """{"volume":"first"}""");
        Assert.Equal("FAIL", target.Metadata["Status"]);
        Assert.Contains("send the volume again", target.Metadata["ErrorMessage"]);

        var (second, _) = await client.CommandAsync("SetTarget", """{"volume":"second"}""");
        Assert.Equal("SUCCESS", second.Metadata["Status"]);
        await client.SendAsync(TestImages.Int16Volume("first", 20, At(0))); // re-sent: works again
        await client.SendAsync(TestImages.Points("PromptPos", (10, 10, 10)));
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal("first_seg", result.DeviceName);
    }

    [Fact]
    public async Task Clients_outside_the_allowed_networks_are_rejected()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:AllowedClients:0"] = "10.0.0.0/8" });
        await using var client = await server.ConnectAsync();
        await client.SendAsync(new QueryMessage("GET_STATUS") { DeviceName = "q" }).ContinueWith(_ => { });
        Assert.Null(await client.ReceiveAsync());
    }

    [Fact]
    public async Task Graceful_shutdown_finishes_work_and_tells_every_client()
    {
        var model = new SphereTestModel { Delay = TimeSpan.FromMilliseconds(300) };
        await using var server = await BridgeTestServer.StartAsync(model: model);
        await using var a = await server.ConnectAsync();
        await using var b = await server.ConnectAsync(headerVersion: 1);
        await a.SendAsync(TestImages.Int16Volume("busy", 12));
        await a.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));
        await b.SendAsync(new QueryMessage("GET_STATUS") { DeviceName = "q" });
        Assert.Equal(IgtlStatusCode.Ok, (await b.ReceiveAsync<StatusMessage>()).Code);
        while (model.Calls == 0) await Task.Delay(5);

        var stopping = server.StopAsync();
        using var inFlight = await a.ReceiveAsync<ImageMessage>(); // the running request still completes
        Assert.Equal("busy_seg", inFlight.DeviceName);
        var byeA = await a.ReceiveAsync<StatusMessage>();
        var byeB = await b.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.ShuttingDown, byeA.Code);
        Assert.Equal(IgtlStatusCode.ShuttingDown, byeB.Code);
        Assert.Equal(1, byeB.HeaderVersion);
        Assert.Null(await a.ReceiveAsync());
        Assert.Null(await b.ReceiveAsync());
        await stopping;
    }
}
