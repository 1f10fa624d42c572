using System.Net.Sockets;
using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>Server bounds against a hostile client: long error texts, undo growth, abandoned uploads, connections per address.</summary>
public class ServerBoundsTests
{
    private static async Task<JsonElement> StatusAsync(TestClient client)
    {
        await client.SendAsync(new QueryMessage("GET_STATUS"));
        var status = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.Ok, status.Code);
        return JsonDocument.Parse(status.Message).RootElement;
    }

    private static async Task<long> ReceivingBytesAsync(BridgeTestServer server)
    {
        await using var probe = await server.ConnectAsync();
        return (await StatusAsync(probe)).GetProperty("receivingBytes").GetInt64();
    }

    private static async Task WaitReceivingBytesAsync(BridgeTestServer server, long expected)
    {
        long seen = -1;
        for (int i = 0; i < 250 && (seen = await ReceivingBytesAsync(server)) != expected; i++) await Task.Delay(20);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task A_command_naming_a_70_KB_volume_gets_a_fail_reply_and_the_session_keeps_replying()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        string name = new('n', 70_000);
        foreach (var command in new[] { "SetTarget", "Undo", "Reset", "SetRoi" })
        {
            var (reply, _) = await client.CommandAsync(command, JsonSerializer.Serialize(new { volume = name }));
            Assert.Equal("FAIL", reply.Metadata["Status"]);
            Assert.Contains("cut to fit the reply", reply.Metadata["ErrorMessage"]);
        }
        var (model, _) = await client.CommandAsync("SetModel", JsonSerializer.Serialize(new { model = name }));
        Assert.Equal("FAIL", model.Metadata["Status"]);
        // Still served: a segmentation on the same connection.
        await client.SendAsync(TestImages.Int16Volume("ct", 12));
        await StatusAsync(client);
        await client.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal(1, TestImages.MaskAt(result, new Vec3(6, 6, 6)));
    }

    [Fact]
    public async Task Undo_history_over_many_clicks_stays_within_the_configured_depth()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:MaxUndoDepth"] = "3" });
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("ct", 12));
        for (int i = 0; i < 12; i++)
        {
            await client.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));
            using var _ = await client.ReceiveAsync<ImageMessage>();
        }
        Assert.Equal(3 * (12 * 12 * 12 + 32), (await StatusAsync(client)).GetProperty("undoBytes").GetInt64()); // mask + one point, state 0 for the test model
        Assert.Equal("SUCCESS", (await client.CommandAsync("Undo")).Reply.Metadata["Status"]);
        Assert.Equal("SUCCESS", (await client.CommandAsync("Undo")).Reply.Metadata["Status"]);
        var (beyond, _) = await client.CommandAsync("Undo");
        Assert.Equal("FAIL", beyond.Metadata["Status"]);
        Assert.Contains("Server:MaxUndoDepth", beyond.Metadata["ErrorMessage"]);
    }

    [Fact]
    public async Task The_buffer_of_an_upload_abandoned_mid_pixels_is_returned_when_the_connection_ends()
    {
        await using var server = await BridgeTestServer.StartAsync();
        byte[] bytes = IgtlMessageWriter.ToArray(TestImages.Int16Volume("big", 128)); // 4 MiB of pixels: a large, unpooled buffer
        var cut = await server.ConnectAsync(headerVersion: 1);
        await cut.SendRawAsync(bytes[..(bytes.Length / 2)]);
        await WaitReceivingBytesAsync(server, 128 * 128 * 128 * 2);
        await cut.DisposeAsync();
        await WaitReceivingBytesAsync(server, 0);
    }

    [Fact]
    public async Task The_buffer_of_a_stalled_upload_is_returned_at_the_read_timeout_while_the_socket_stays_open()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:MessageReadTimeoutSeconds"] = "1" });
        byte[] bytes = IgtlMessageWriter.ToArray(TestImages.Int16Volume("big", 128));
        await using var stalled = await server.ConnectAsync(headerVersion: 1);
        await stalled.SendRawAsync(bytes[..(bytes.Length / 2)]);
        var status = await stalled.ReceiveAsync<StatusMessage>(10);
        Assert.Equal(IgtlStatusCode.TimeOut, status.Code);
        await WaitReceivingBytesAsync(server, 0);
    }

    [Fact]
    public async Task Connections_beyond_the_per_address_limit_are_refused_and_a_freed_slot_is_served_again()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:MaxClientsPerAddress"] = "3" });
        var held = new List<TestClient>();
        for (int i = 0; i < 3; i++)
        {
            held.Add(await server.ConnectAsync());
            await StatusAsync(held[^1]); // accepted and served
        }
        await using (var refused = await server.ConnectAsync())
        {
            // The TCP handshake completes (the kernel accepts), then the server closes it without a session.
            try { Assert.Null(await refused.ReceiveAsync(10)); }
            catch (Exception ex) when (ex is IOException or SocketException) { }
        }
        Assert.Equal(3, server.Server.Sessions);
        await held[0].DisposeAsync();
        for (int i = 0; i < 250 && server.Server.Sessions > 2; i++) await Task.Delay(20);
        await using var again = await server.ConnectAsync();
        await StatusAsync(again);
        foreach (var c in held.Skip(1)) await c.DisposeAsync();
    }
}
