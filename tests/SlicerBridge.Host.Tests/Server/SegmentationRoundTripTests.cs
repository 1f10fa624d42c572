using System.Globalization;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

public class SegmentationRoundTripTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Image_then_point_returns_labelmap_on_the_same_grid(bool oblique)
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var image = TestImages.Int16Volume("MRHeadWithAVeryLongN", 24, oblique ? TestImages.Oblique() : null);
        var g = TestImages.Geometry(image);
        await client.SendAsync(image);
        Vec3 click = g.IjkToRasPoint(new Vec3(12, 11, 10));
        await client.SendAsync(TestImages.Points("PromptPos", ((float)click.X, (float)click.Y, (float)click.Z)));

        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal("MRHeadWithAVeryL_seg", result.DeviceName);
        Assert.Equal(2, result.HeaderVersion);
        TestImages.AssertSameGeometry(image, result);
        Assert.Equal(1, TestImages.MaskAt(result, click));
        Assert.Equal(0, TestImages.MaskAt(result, g.IjkToRasPoint(new Vec3(2, 2, 2))));
        // Exactly the voxels within 3 mm of the click are set (the sphere model's definition).
        long expected = 0;
        for (int k = 0; k < 24; k++) for (int j = 0; j < 24; j++) for (int i = 0; i < 24; i++)
            if ((g.IjkToRasPoint(new Vec3(i, j, k)) - click).Length <= 3) expected++;
        Assert.Equal(expected, result.Pixels.ToArray().LongCount(b => b == 1));
        Assert.All(result.Pixels.ToArray(), b => Assert.True(b <= 1));

        Assert.Equal("MRHeadWithAVeryLongN#1", result.Metadata["RequestId"]);
        Assert.Equal("sphere", result.Metadata["Model"]);
        foreach (var key in new[] { "QueueMs", "PrepareMs", "InferMs", "PostMs", "TotalMs" })
            Assert.True(double.TryParse(result.Metadata[key], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) && ms >= 0, key);
        Assert.Equal("0.2", result.Metadata["InferMs"]);
    }

    [Fact]
    public async Task Negative_device_and_hidden_points_follow_the_contract()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("vol", 20));
        // Only negative points: not ready, no segmentation.
        await client.SendAsync(TestImages.Points("PromptNeg-", (5, 5, 5)));
        var status = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.NotReady, status.Code);
        Assert.Equal("PromptNeg-", status.DeviceName);
        // A hidden (alpha 0) positive point is ignored as well.
        var hidden = TestImages.Points("PromptPos", (10, 10, 10));
        hidden.Points[0] = hidden.Points[0] with { A = 0 };
        await client.SendAsync(hidden);
        Assert.Equal(IgtlStatusCode.NotReady, (await client.ReceiveAsync<StatusMessage>()).Code);
        // A visible positive point: the union of both devices now has a positive point.
        await client.SendAsync(TestImages.Points("PromptPos", (10, 10, 10)));
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal(1, TestImages.MaskAt(result, new Vec3(10, 10, 10)));
        Assert.Equal("vol#3", result.Metadata["RequestId"]);
    }

    [Fact]
    public async Task Reply_version_follows_the_highest_version_the_client_used()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync(headerVersion: 1);
        await client.SendAsync(TestImages.Int16Volume("v1vol", 16));
        await client.SendAsync(TestImages.Points("PromptPos", (8, 8, 8)));
        using (var first = await client.ReceiveAsync<ImageMessage>())
        {
            Assert.Equal(1, first.HeaderVersion);
            Assert.Equal(0, first.Metadata.Count);
            Assert.Equal(1, TestImages.MaskAt(first, new Vec3(8, 8, 8)));
        }
        // Slicer's empty-name STATUS "dummy" in V2: ignored, but from now on replies are V2.
        client.HeaderVersion = 2;
        var dummy = new StatusMessage { DeviceName = "", Code = IgtlStatusCode.Ok };
        dummy.Metadata.Set("dummy", "dummy");
        await client.SendAsync(dummy);
        client.HeaderVersion = 1; // even when the client goes back to V1
        await client.SendAsync(TestImages.Points("PromptPos", (7, 8, 8)));
        using var second = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal(2, second.HeaderVersion);
        Assert.Equal("v1vol#2", second.Metadata["RequestId"]);
    }

    [Fact]
    public async Task Newer_points_supersede_older_ones_and_only_the_newest_result_arrives()
    {
        var model = new SphereTestModel { Gate = new SemaphoreSlim(0) };
        await using var server = await BridgeTestServer.StartAsync(model: model);
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("drag", 16));
        await client.SendAsync(TestImages.Points("PromptPos", (4, 8, 8)));
        while (model.Calls == 0) await Task.Delay(5); // #1 is running, blocked
        await client.SendAsync(TestImages.Points("PromptPos", (6, 8, 8)));
        await client.SendAsync(TestImages.Points("PromptPos", (8, 8, 8)));
        await client.SendAsync(TestImages.Points("PromptPos", (10, 8, 8)));
        await Task.Delay(200);
        model.Gate.Release(100);
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal("drag#4", result.Metadata["RequestId"]);
        Assert.Equal(1, TestImages.MaskAt(result, new Vec3(10, 8, 8)));
        Assert.Equal(0, TestImages.MaskAt(result, new Vec3(4, 8, 8)));
        var (reply, before) = await client.CommandAsync("GetStatus");
        Assert.Empty(before); // no labelmap for #1..#3
        Assert.Equal("SUCCESS", reply.Metadata["Status"]);
        Assert.True(model.Calls <= 3, $"superseded queued requests must not run (model ran {model.Calls} times)");
    }
}
