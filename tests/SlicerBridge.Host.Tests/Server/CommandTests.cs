using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

public class CommandTests
{
    private static JsonElement Json(RtsCommandMessage reply) => JsonDocument.Parse(reply.Content).RootElement;

    private static void AssertSuccess(RtsCommandMessage reply) =>
        Assert.True(reply.Metadata["Status"] == "SUCCESS", $"expected SUCCESS, got {reply.Content}");

    private static void AssertFail(RtsCommandMessage reply, string expected)
    {
        Assert.Equal("FAIL", reply.Metadata["Status"]);
        Assert.Contains(expected, reply.Metadata["ErrorMessage"]);
        Assert.Contains(expected, Json(reply).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Every_command_is_answered_with_the_same_id_and_name()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("A", 16));
        await client.SendAsync(TestImages.Int16Volume("B", 12));

        var (list, _) = await client.CommandAsync("ListModels");
        AssertSuccess(list);
        Assert.Equal("sphere", Json(list).GetProperty("default").GetString());
        Assert.Equal(["sphere", "growcut"], Json(list).GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToArray());

        var (target, _) = await client.CommandAsync("SetTarget", """{"volume":"A"}""");
        AssertSuccess(target);
        Assert.Equal("A", Json(target).GetProperty("volume").GetString());

        var (roi, _) = await client.CommandAsync("SetRoi", """{"center":[8,8,8],"size":[4,4,100]}""");
        AssertSuccess(roi);
        Assert.Equal(4, Json(roi).GetProperty("roi").GetProperty("size")[0].GetDouble());

        var (model, _) = await client.CommandAsync("SetModel", """{"model":"sphere"}""");
        AssertSuccess(model);

        var (segment, sent) = await client.CommandAsync("Segment", """{"points":[{"ras":[8,8,8],"label":1}],"output":"A_label","requestId":"req-7"}""");
        AssertSuccess(segment);
        var labelmap = Assert.IsType<ImageMessage>(Assert.Single(sent));
        Assert.Equal("A_label", labelmap.DeviceName);
        Assert.Equal("req-7", labelmap.Metadata["RequestId"]);
        Assert.Equal(16, labelmap.SizeI);
        Assert.Equal(1, TestImages.MaskAt(labelmap, new Vec3(8, 8, 8)));
        Assert.Equal(0, TestImages.MaskAt(labelmap, new Vec3(8, 11, 8))); // inside the sphere, outside the 4 mm ROI
        Assert.Equal(1, TestImages.MaskAt(labelmap, new Vec3(8, 8, 11)));
        var s = Json(segment);
        Assert.Equal("req-7", s.GetProperty("requestId").GetString());
        Assert.Equal(labelmap.Pixels.ToArray().Count(b => b == 1), s.GetProperty("voxels").GetInt64());
        Assert.True(s.GetProperty("timings").GetProperty("totalMs").GetDouble() >= 0);

        var (status, _) = await client.CommandAsync("GetStatus");
        AssertSuccess(status);
        var st = Json(status);
        Assert.Equal(1, st.GetProperty("sessions").GetInt32());
        Assert.Equal(2, st.GetProperty("cache").GetProperty("volumes").GetInt32());
        Assert.Equal((16 * 16 * 16 + 12 * 12 * 12) * 4, st.GetProperty("cache").GetProperty("usedBytes").GetInt64());
        Assert.Equal("cpu", st.GetProperty("device").GetString());
        var host = st.GetProperty("host"); // which server answered (several behind a load balancer)
        Assert.Equal($"{Environment.MachineName}/{Environment.ProcessId}", host.GetProperty("instance").GetString());
        Assert.Equal(Environment.ProcessId, host.GetProperty("pid").GetInt32());

        var (clear, _) = await client.CommandAsync("SetRoi", "{}");
        AssertSuccess(clear);
        Assert.Equal(JsonValueKind.Null, Json(clear).GetProperty("roi").ValueKind);

        var (reset, resetSent) = await client.CommandAsync("Reset", """{"volume":"A"}""");
        AssertSuccess(reset);
        var empty = Assert.IsType<ImageMessage>(Assert.Single(resetSent));
        Assert.Equal("A_label", empty.DeviceName); // the last output of A
        Assert.All(empty.Pixels.ToArray(), b => Assert.Equal(0, b));

        var (undo, _) = await client.CommandAsync("Undo");
        AssertSuccess(undo);
        Assert.Equal(0, Json(undo).GetProperty("depth").GetInt32());
    }

    [Fact]
    public async Task Undo_resends_the_previous_labelmap_and_restores_its_points()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("U", 20));
        await client.SendAsync(TestImages.Points("PromptPos", (5, 5, 5)));
        using var first = await client.ReceiveAsync<ImageMessage>();
        await client.SendAsync(TestImages.Points("PromptPos", (5, 5, 5), (14, 14, 14)));
        using var second = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal(1, TestImages.MaskAt(second, new Vec3(14, 14, 14)));

        var (undo, sent) = await client.CommandAsync("Undo");
        Assert.Equal(1, Json(undo).GetProperty("depth").GetInt32());
        var restored = Assert.IsType<ImageMessage>(Assert.Single(sent));
        Assert.Equal(first.Pixels.ToArray(), restored.Pixels.ToArray());

        // The point set is the first one again: a Segment without points reproduces the first result.
        var (again, againSent) = await client.CommandAsync("Segment");
        Assert.Equal("SUCCESS", again.Metadata["Status"]);
        Assert.Equal(first.Pixels.ToArray(), Assert.IsType<ImageMessage>(Assert.Single(againSent)).Pixels.ToArray());

        await client.CommandAsync("Undo");
        var (last, lastSent) = await client.CommandAsync("Undo");
        Assert.Equal(0, Json(last).GetProperty("depth").GetInt32());
        Assert.All(Assert.IsType<ImageMessage>(Assert.Single(lastSent)).Pixels.ToArray(), b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData("Frobnicate", "{}", "Unknown command 'Frobnicate'")]
    [InlineData("Segment", "{\"points\": [", "not valid JSON")]
    [InlineData("SetTarget", """{"volume":"Nope"}""", "Unknown volume 'Nope'")]
    [InlineData("SetModel", """{"model":"unet"}""", "Unknown model 'unet'")]
    [InlineData("Segment", """{"model":"unet","points":[{"ras":[1,1,1]}]}""", "Unknown model 'unet'")]
    [InlineData("Segment", """{"points":[{"ras":[500,1,1]}]}""", "outside volume 'V'")]
    [InlineData("Segment", """{"points":[{"ras":[1,1,1],"label":0}]}""", "at least one positive point")]
    [InlineData("SetRoi", """{"center":[1,1,1],"size":[-1,1,1]}""", "roi.size must be positive")]
    public async Task Bad_commands_fail_with_a_message_and_the_session_goes_on(string name, string content, string expected)
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("V", 10));
        var (reply, _) = await client.CommandAsync(name, content);
        AssertFail(reply, expected);
        var (ok, sent) = await client.CommandAsync("Segment", """{"points":[{"ras":[5,5,5]}]}""");
        AssertSuccess(ok);
        Assert.Single(sent);
    }

    [Fact]
    public async Task Commands_before_any_volume_fail_clearly()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var (reply, _) = await client.CommandAsync("Segment", """{"points":[{"ras":[5,5,5]}]}""");
        AssertFail(reply, "send an IMAGE first");
    }
}
