using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>GetStatus reports where this session's request stands in the shared inference queue.</summary>
public class QueuePositionTests
{
    private static async Task<JsonElement> QueueOf(TestClient client)
    {
        var (status, _) = await client.CommandAsync("GetStatus");
        Assert.Equal("SUCCESS", status.Metadata["Status"]);
        return JsonDocument.Parse(status.Content).RootElement.GetProperty("queue");
    }

    private static int? Position(JsonElement queue) =>
        queue.GetProperty("position").ValueKind == JsonValueKind.Null ? null : queue.GetProperty("position").GetInt32();

    [Fact]
    public async Task Position_is_0_while_running_n_while_queued_and_null_when_nothing_is_pending()
    {
        var model = new SphereTestModel { Gate = new SemaphoreSlim(0) };
        await using var server = await BridgeTestServer.StartAsync(new() { ["Scheduling:Parallelism"] = "1" }, model);
        await using var a = await server.ConnectAsync();
        await using var b = await server.ConnectAsync();
        await using var c = await server.ConnectAsync();
        await using var idle = await server.ConnectAsync();
        foreach (var (client, name) in new[] { (a, "a"), (b, "b"), (c, "c") })
            await client.SendAsync(TestImages.Int16Volume(name, 10));

        await a.SendAsync(TestImages.Points("PromptPos", (5, 5, 5)));
        while (model.Calls == 0) await Task.Delay(5); // a runs, held on the gate
        await b.SendAsync(TestImages.Points("PromptPos", (5, 5, 5)));
        Assert.Equal(1, Position(await QueueOf(b))); // next in line, behind a
        await c.SendAsync(TestImages.Points("PromptPos", (5, 5, 5)));

        Assert.Equal(0, Position(await QueueOf(a)));
        Assert.Equal(1, Position(await QueueOf(b)));
        var queue = await QueueOf(c);
        Assert.Equal(2, Position(queue));
        Assert.Equal(1, queue.GetProperty("running").GetInt32());
        Assert.Equal(2, queue.GetProperty("pending").GetInt32());
        Assert.Null(Position(await QueueOf(idle)));

        // b leaves: its queued request is cancelled and c moves up.
        await b.DisposeAsync();
        for (int i = 0; i < 200 && Position(await QueueOf(c)) != 1; i++) await Task.Delay(10);
        Assert.Equal(1, Position(await QueueOf(c)));

        model.Gate.Release(10);
        using (var resultA = await a.ReceiveAsync<ImageMessage>()) Assert.Equal("a_seg", resultA.DeviceName);
        using (var resultC = await c.ReceiveAsync<ImageMessage>()) Assert.Equal("c_seg", resultC.DeviceName);
        Assert.Null(Position(await QueueOf(a)));
        Assert.Null(Position(await QueueOf(c)));
    }

    [Fact]
    public async Task Get_status_query_reports_the_position_and_the_device()
    {
        var model = new SphereTestModel { Gate = new SemaphoreSlim(0) };
        await using var server = await BridgeTestServer.StartAsync(new() { ["Scheduling:Parallelism"] = "1" }, model);
        await using var a = await server.ConnectAsync();
        await a.SendAsync(TestImages.Int16Volume("a", 10));
        await a.SendAsync(TestImages.Points("PromptPos", (5, 5, 5)));
        while (model.Calls == 0) await Task.Delay(5);
        await a.SendAsync(new QueryMessage("GET_STATUS") { DeviceName = "q" });
        var status = await a.ReceiveAsync<StatusMessage>();
        var json = JsonDocument.Parse(status.Message).RootElement;
        Assert.Equal(0, json.GetProperty("queue").GetProperty("position").GetInt32());
        Assert.Equal("cpu", json.GetProperty("device").GetString()); // only the sphere test model is loaded
        model.Gate.Release(10);
        using var result = await a.ReceiveAsync<ImageMessage>();
    }
}
