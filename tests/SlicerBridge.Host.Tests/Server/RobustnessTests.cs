using System.Net.Sockets;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

public class RobustnessTests
{
    /// <summary>A second client that must keep getting correct results whatever the first one does.</summary>
    private static async Task AssertHealthyAsync(BridgeTestServer server, string name)
    {
        await using var good = await server.ConnectAsync();
        await good.SendAsync(TestImages.Int16Volume(name, 12));
        await good.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));
        using var result = await good.ReceiveAsync<ImageMessage>();
        Assert.Equal(1, TestImages.MaskAt(result, new Vec3(6, 6, 6)));
    }

    [Fact]
    public async Task Twenty_concurrent_clients_each_get_their_own_result()
    {
        // Twenty Slicer instances, all on loopback here: past the default of 16 connections per address.
        await using var server = await BridgeTestServer.StartAsync(new() { ["Server:MaxClientsPerAddress"] = "32" });
        var tasks = Enumerable.Range(0, 20).Select(async n =>
        {
            await using var client = await server.ConnectAsync();
            double[] m = [1, 0, 0, n * 100, 0, 1, 0, -n, 0, 0, 1, 2 * n]; // each volume elsewhere in RAS
            var image = TestImages.Int16Volume($"vol{n}", 14, m);
            await client.SendAsync(image);
            var g = TestImages.Geometry(image);
            Vec3 click = g.IjkToRasPoint(new Vec3(2 + n % 10, 7, 7));
            await client.SendAsync(TestImages.Points("PromptPos", ((float)click.X, (float)click.Y, (float)click.Z)));
            using var result = await client.ReceiveAsync<ImageMessage>(60);
            Assert.Equal($"vol{n}_seg", result.DeviceName);
            Assert.Equal($"vol{n}#1", result.Metadata["RequestId"]);
            TestImages.AssertSameGeometry(image, result);
            Assert.Equal(1, TestImages.MaskAt(result, click));
            Assert.Equal(0, TestImages.MaskAt(result, g.IjkToRasPoint(new Vec3(2 + (n + 5) % 10, 7, 7))));
        });
        await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task Client_disconnecting_mid_message_does_not_disturb_others()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using (var bad = await server.ConnectAsync())
        {
            byte[] bytes = IgtlMessageWriter.ToArray(TestImages.Int16Volume("half", 16));
            await bad.SendRawAsync(bytes[..(bytes.Length / 2)]);
            bad.Socket.Shutdown(SocketShutdown.Both);
        }
        await AssertHealthyAsync(server, "after");
        for (int i = 0; i < 100 && server.Server.Sessions > 0; i++) await Task.Delay(20);
        Assert.Equal(0, server.Server.Sessions);
    }

    [Fact]
    public async Task Bad_points_are_answered_with_status_and_the_session_goes_on()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync(TestImages.Points("PromptPos", (1, 1, 1)));
        var noVolume = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.NotFound, noVolume.Code);
        Assert.Contains("send an IMAGE first", noVolume.Message);

        await client.SendAsync(TestImages.Int16Volume("pts", 10));
        await client.SendAsync(TestImages.Points("PromptPos", (float.NaN, 1, 1)));
        var nan = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.ConfigurationError, nan.Code);
        Assert.Equal("PromptPos", nan.DeviceName);
        Assert.Contains("'P0'", nan.Message);
        Assert.Contains("NaN", nan.Message);

        await client.SendAsync(TestImages.Points("PromptPos", (3, 3, 3), (30, 3, 3)));
        var outside = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.ConfigurationError, outside.Code);
        Assert.Contains("'P1'", outside.Message);
        Assert.Contains("outside volume 'pts'", outside.Message);

        await client.SendAsync(new PointMessage { DeviceName = "PromptPos" });
        Assert.Equal(IgtlStatusCode.NotReady, (await client.ReceiveAsync<StatusMessage>()).Code);

        await client.SendAsync(TestImages.Points("PromptPos", (5, 5, 5)));
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal(1, TestImages.MaskAt(result, new Vec3(5, 5, 5)));
    }

    [Fact]
    public async Task Bad_images_are_rejected_with_status()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Protocol:MaxImageDimension"] = "64" });
        await using var client = await server.ConnectAsync();

        var rgb = new ImageMessage("rgb", IgtlScalarType.UInt8, 3, 4, 4, 4, new byte[4 * 4 * 4 * 3]);
        await client.SendAsync(rgb);
        var multi = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.ConfigurationError, multi.Code);
        Assert.Equal("rgb", multi.DeviceName);
        Assert.Contains("3 components", multi.Message);

        var sub = new ImageMessage("sub", IgtlScalarType.UInt8, 1, 8, 8, 8, new byte[4 * 8 * 8]) { SubOffset = new IgtlIndex3(4, 0, 0), SubSize = new IgtlIndex3(4, 8, 8) };
        await client.SendAsync(sub);
        Assert.Contains("sub-volume", (await client.ReceiveAsync<StatusMessage>()).Message);

        var huge = new ImageMessage("huge", IgtlScalarType.UInt8, 1, 100, 2, 2, new byte[400]);
        await client.SendAsync(huge);
        var tooBig = await client.ReceiveAsync<StatusMessage>();
        Assert.NotEqual(IgtlStatusCode.Ok, tooBig.Code);

        var nanImage = new ImageMessage("nanvol", IgtlScalarType.Float32, 1, 2, 2, 2,
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(new float[] { 0, 1, float.NaN, 3, 4, 5, 6, 7 }.AsSpan()).ToArray());
        await client.SendAsync(nanImage);
        Assert.Contains("NaN", (await client.ReceiveAsync<StatusMessage>()).Message);

        await client.SendAsync(TestImages.Int16Volume("fine", 10));
        await client.SendAsync(TestImages.Points("PromptPos", (5, 5, 5)));
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal("fine_seg", result.DeviceName);
    }

    [Fact]
    public async Task Oversize_message_closes_only_that_connection()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Protocol:MaxBodyBytes"] = "65536" });
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("big", 64)); // 512 KiB body
        var status = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.Overflow, status.Code);
        Assert.Null(await client.ReceiveAsync()); // closed
        await AssertHealthyAsync(server, "other");
    }

    [Fact]
    public async Task Checksum_error_is_reported_and_the_connection_stays_open()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var bytes = IgtlMessageWriter.ToArray(TestImages.Int16Volume("crc", 8));
        bytes[^1] ^= 0xFF;
        await client.SendRawAsync(bytes);
        var status = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.ChecksumError, status.Code);
        Assert.Equal("crc", status.DeviceName);
        await client.SendAsync(TestImages.Int16Volume("crc", 8));
        await client.SendAsync(TestImages.Points("PromptPos", (4, 4, 4)));
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal("crc_seg", result.DeviceName);
    }

    [Fact]
    public async Task Status_capability_and_unknown_messages()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(new StatusMessage { DeviceName = "", Code = IgtlStatusCode.Ok }); // ignored
        await client.SendAsync(new TransformMessage { DeviceName = "T" }); // not used: skipped
        await client.SendAsync(new QueryMessage("GET_CAPABIL") { DeviceName = "q" });
        var capability = await client.ReceiveAsync<CapabilityMessage>();
        Assert.Contains("IMAGE", capability.Types);
        Assert.Contains("POINT", capability.Types);
        Assert.Contains("COMMAND", capability.Types);
        await client.SendAsync(new QueryMessage("GET_STATUS") { DeviceName = "q" });
        var status = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.Ok, status.Code);
        Assert.Contains("\"sessions\":1", status.Message);
    }
}
