using System.Diagnostics;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>Clients that stall mid-message, stay silent, or stop reading: each is dealt with, and nobody else notices.</summary>
public class TimeoutAndBoundTests
{
    private static async Task AssertServesAsync(BridgeTestServer server, string name)
    {
        await using var good = await server.ConnectAsync();
        await good.SendAsync(TestImages.Int16Volume(name, 12));
        await good.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));
        using var result = await good.ReceiveAsync<ImageMessage>();
        Assert.Equal(1, TestImages.MaskAt(result, new Vec3(6, 6, 6)));
    }

    private static async Task WaitNoSessionsAsync(BridgeTestServer server)
    {
        for (int i = 0; i < 250 && server.Server.Sessions > 0; i++) await Task.Delay(20);
        Assert.Equal(0, server.Server.Sessions);
    }

    /// <summary>The client gets STATUS TimeOut naming the reason, then the server closes the connection.</summary>
    private static async Task AssertTimedOutAsync(TestClient client, IgtlRejectReason reason)
    {
        var status = await client.ReceiveAsync<StatusMessage>(10);
        Assert.Equal(IgtlStatusCode.TimeOut, status.Code);
        Assert.Equal(reason.ToString(), status.ErrorName);
        Assert.Null(await client.ReceiveAsync(10));
    }

    [Theory]
    [InlineData(30)]          // inside the 58-byte header
    [InlineData(58 + 20)]     // inside the image head
    [InlineData(58 + 72 + 100_000)] // inside the pixels (streamed path, read straight into the pixel buffer)
    public async Task A_client_stalling_mid_message_is_timed_out_and_others_are_served(int sentBytes)
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:MessageReadTimeoutSeconds"] = "1" });
        await using var stalled = await server.ConnectAsync(headerVersion: 1);
        byte[] bytes = IgtlMessageWriter.ToArray(TestImages.Int16Volume("stall", 64));
        var clock = Stopwatch.StartNew();
        await stalled.SendRawAsync(bytes[..sentBytes]);
        await AssertServesAsync(server, "meanwhile");
        await AssertTimedOutAsync(stalled, IgtlRejectReason.MessageTimedOut);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"timed out after {clock.Elapsed}");
        await WaitNoSessionsAsync(server);
    }

    [Fact]
    public async Task A_client_trickling_a_message_slower_than_the_timeout_but_steadily_is_not_cut()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:MessageReadTimeoutSeconds"] = "3" });
        await using var client = await server.ConnectAsync(headerVersion: 1);
        byte[] bytes = IgtlMessageWriter.ToArray(TestImages.Int16Volume("slow", 12));
        int step = bytes.Length / 5 + 1;
        for (int at = 0; at < bytes.Length; at += step) // 5 pieces, 0.8 s apart: 4 s in all, never 3 s without progress
        {
            await client.SendRawAsync(bytes[at..Math.Min(bytes.Length, at + step)]);
            await Task.Delay(800);
        }
        await client.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal("slow_seg", result.DeviceName);
    }

    [Fact]
    public async Task Idle_timeout_is_off_by_default_so_a_silent_slicer_connection_stays()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:MessageReadTimeoutSeconds"] = "0.5" });
        await using var client = await server.ConnectAsync();
        await Task.Delay(1500); // silent for three message timeouts: not a started message, so no limit applies
        await client.SendAsync(new QueryMessage("GET_STATUS"));
        Assert.Equal(IgtlStatusCode.Ok, (await client.ReceiveAsync<StatusMessage>()).Code);
    }

    [Fact]
    public async Task With_an_idle_timeout_a_silent_connection_is_told_and_closed()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:IdleTimeoutSeconds"] = "0.5" });
        await using var client = await server.ConnectAsync();
        await client.SendAsync(new QueryMessage("GET_STATUS"));
        Assert.Equal(IgtlStatusCode.Ok, (await client.ReceiveAsync<StatusMessage>()).Code);
        await AssertTimedOutAsync(client, IgtlRejectReason.ConnectionIdle);
        await WaitNoSessionsAsync(server);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_cut_off_at_the_write_timeout()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:WriteTimeoutSeconds"] = "1" });
        await using var deaf = await server.ConnectAsync();
        deaf.Socket.ReceiveBufferSize = 64 * 1024;
        await deaf.SendAsync(TestImages.Int16Volume("big", 128)); // every Undo answers with a 2 MiB labelmap
        try
        {
            for (int i = 0; i < 60; i++)
                await deaf.SendAsync(new CommandMessage { DeviceName = "cmd", CommandId = (uint)i, CommandName = "Undo", Content = "{}" });
        }
        catch (IOException) { } // the server may cut us off while we are still sending
        await WaitNoSessionsAsync(server);
        await AssertServesAsync(server, "after");
    }

    [Fact]
    public async Task Results_piling_up_for_a_client_that_does_not_read_are_capped()
    {
        // The write timeout is long here, so only the cap on replies in flight can end this connection.
        await using var server = await BridgeTestServer.StartAsync(new()
        {
            ["Server:MaxReplyBytesInFlight"] = (4 << 20).ToString(), ["Server:WriteTimeoutSeconds"] = "600",
        });
        await using var deaf = await server.ConnectAsync();
        deaf.Socket.ReceiveBufferSize = 64 * 1024;
        try
        {
            for (int i = 0; i < 12; i++) // each volume's result is a 2 MiB labelmap, sent in the background
            {
                await deaf.SendAsync(TestImages.Int16Volume($"v{i}", 128));
                await deaf.SendAsync(TestImages.Points("PromptPos", (60, 60, 60)));
            }
        }
        catch (IOException) { }
        await WaitNoSessionsAsync(server);
        await AssertServesAsync(server, "after");
    }
}
