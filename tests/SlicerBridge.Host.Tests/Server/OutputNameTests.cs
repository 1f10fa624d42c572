using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>A Segment's <c>output</c>: validated against the 20-byte device name, and remembered per volume for Undo and Reset.</summary>
public class OutputNameTests
{
    [Fact]
    public async Task Undo_and_reset_write_to_the_last_output_of_the_volume()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("A", 16));
        await client.SendAsync(TestImages.Int16Volume("B", 16));

        var (first, firstSent) = await client.CommandAsync("Segment", """{"volume":"A","points":[{"ras":[4,4,4]}],"output":"A_label"}""");
        Assert.Equal("SUCCESS", first.Metadata["Status"]);
        Assert.Equal("A_label", Assert.IsType<ImageMessage>(Assert.Single(firstSent)).DeviceName);
        var (second, _) = await client.CommandAsync("Segment", """{"volume":"A","points":[{"ras":[10,10,10]}],"output":"A_label"}""");
        Assert.Equal("SUCCESS", second.Metadata["Status"]);

        var (undo, undoSent) = await client.CommandAsync("Undo", """{"volume":"A"}""");
        Assert.Equal("SUCCESS", undo.Metadata["Status"]);
        var restored = Assert.IsType<ImageMessage>(Assert.Single(undoSent));
        Assert.Equal("A_label", restored.DeviceName);
        Assert.Equal("A#undo", restored.Metadata["RequestId"]);
        Assert.Equal(1, TestImages.MaskAt(restored, new Vec3(4, 4, 4)));

        var (reset, resetSent) = await client.CommandAsync("Reset", """{"volume":"A"}""");
        Assert.Equal("SUCCESS", reset.Metadata["Status"]);
        var empty = Assert.IsType<ImageMessage>(Assert.Single(resetSent));
        Assert.Equal("A_label", empty.DeviceName);
        Assert.All(empty.Pixels.ToArray(), b => Assert.Equal(0, b));

        // The other volume never had an output: its replies keep the default name.
        var (resetB, resetBSent) = await client.CommandAsync("Reset", """{"volume":"B"}""");
        Assert.Equal("SUCCESS", resetB.Metadata["Status"]);
        Assert.Equal("B_seg", Assert.IsType<ImageMessage>(Assert.Single(resetBSent)).DeviceName);
    }

    [Fact]
    public async Task The_last_output_wins_and_point_updates_count_as_the_default_output()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("V", 16));
        await client.CommandAsync("Segment", """{"points":[{"ras":[4,4,4]}],"output":"first_out"}""");
        await client.CommandAsync("Segment", """{"points":[{"ras":[4,4,4]}],"output":"second_out"}""");
        var (_, undoSent) = await client.CommandAsync("Undo");
        Assert.Equal("second_out", Assert.IsType<ImageMessage>(Assert.Single(undoSent)).DeviceName);

        await client.SendAsync(TestImages.Points("PromptPos", (8, 8, 8)));
        using var byPoint = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal("V_seg", byPoint.DeviceName);
        var (_, resetSent) = await client.CommandAsync("Reset");
        Assert.Equal("V_seg", Assert.IsType<ImageMessage>(Assert.Single(resetSent)).DeviceName);
    }

    [Theory]
    [InlineData("ABCDEFGHIJKLMNOPQRSTU", 21)] // one byte over
    [InlineData("segmentationééééééé", 26)] // 19 characters, 26 UTF-8 bytes
    public async Task Output_longer_than_a_device_name_is_refused_not_truncated(string output, int bytes)
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("V", 10));
        var (reply, sent) = await client.CommandAsync("Segment",
            JsonSerializer.Serialize(new { points = new[] { new { ras = new[] { 5, 5, 5 } } }, output }));
        Assert.Empty(sent);
        Assert.Equal("FAIL", reply.Metadata["Status"]);
        string error = reply.Metadata["ErrorMessage"];
        Assert.Contains("'output'", error);
        Assert.Contains($"{bytes} bytes", error);
        Assert.Contains("at most 20 bytes", error);
        Assert.Equal(error, JsonDocument.Parse(reply.Content).RootElement.GetProperty("error").GetString());

        var (ok, okSent) = await client.CommandAsync("Segment", """{"points":[{"ras":[5,5,5]}],"output":"ABCDEFGHIJKLMNOPQRST"}""");
        Assert.Equal("SUCCESS", ok.Metadata["Status"]);
        Assert.Equal("ABCDEFGHIJKLMNOPQRST", Assert.IsType<ImageMessage>(Assert.Single(okSent)).DeviceName);
    }
}
