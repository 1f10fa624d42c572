using System.Globalization;
using System.Text.Json.Nodes;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Streaming;

/// <summary>
/// The relay through the real server (docs/live-2d.md, "Wiring into the session dispatch"): Slicer-like clients send
/// COMMAND StartStream / StopStream over OpenIGTLink and receive the frames of a PLUS-like source
/// (<see cref="FrameSourceServer"/>) with their masks, segmented by the tiny SAM-Med2D fixture model.
/// </summary>
public sealed class StreamSessionTests : IAsyncDisposable
{
    private static readonly double[] Oblique = BuildOblique();
    private readonly (byte[] Grey, int Height, int Width) _ct;
    private FrameSourceServer? _source;
    private BridgeTestServer? _server;

    public StreamSessionTests()
    {
        var (hwc, h, w) = SamMed2DRunPlan.ReadImage(SharedFixtures.SamMed2DTiny("ct_image_u8.npy"));
        _ct = (Enumerable.Range(0, h * w).Select(i => hwc[3 * i]).ToArray(), h, w);
    }

    private static double[] BuildOblique()
    {
        double c = Math.Cos(0.4), s = Math.Sin(0.4);
        return [0.5 * c, 0, -s, 10, 0.5 * s, 0, c, -30, 0, -0.5, 0, 60];
    }

    private static Vec3 Ras(double i, double j, double k) => new(
        Oblique[0] * i + Oblique[1] * j + Oblique[2] * k + Oblique[3],
        Oblique[4] * i + Oblique[5] * j + Oblique[6] * k + Oblique[7],
        Oblique[8] * i + Oblique[9] * j + Oblique[10] * k + Oblique[11]);

    /// <summary>StartStream with a box around pixels 100..159 × 85..174 of the frame, 2 mm thick across the plane.</summary>
    private static string BoxJson()
    {
        Vec3 a = Ras(99.5, 84.5, -1), b = Ras(159.5, 174.5, 1);
        return string.Create(CultureInfo.InvariantCulture,
            $$"""{"Device": "{{FrameSourceServer.Device}}", "Model": "sam-med2d", "Box": [{{a.X}},{{a.Y}},{{a.Z}},{{b.X}},{{b.Y}},{{b.Z}}]}""");
    }

    /// <summary>A source streaming the CT slice (moving 1 pixel per frame) at 10 frames/s, and the server relaying it.</summary>
    private async Task<BridgeTestServer> StartAsync()
    {
        var frames = Enumerable.Range(0, 600).Select(f =>
        {
            var (grey, h, w) = _ct;
            var moved = new byte[grey.Length];
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++) moved[r * w + c] = grey[r * w + ((c - f) % w + w) % w];
            return (moved, Oblique);
        }).ToList();
        _source = new FrameSourceServer(frames, _ct.Width, _ct.Height, 10).Start();
        _server = await BridgeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Models:List:2:Name"] = "sam-med2d", ["Models:List:2:Kind"] = "sam-med2d",
            ["Models:List:2:Checkpoint"] = SharedFixtures.SamMed2DTiny("checkpoint.pth"),
            ["Models:List:2:Config"] = SharedFixtures.SamMed2DTiny("fixture.json"),
            ["Streaming:Sources:0"] = $"127.0.0.1:{_source.Port}",
            ["Streaming:TrackingMinScore"] = "-100",
            ["Streaming:ReconnectInitialMilliseconds"] = "50",
        });
        return _server;
    }

    /// <summary>The next frame IMAGE and its mask IMAGE (TRANSFORMs and anything else in between skipped).</summary>
    private static async Task<(ImageMessage Frame, ImageMessage Seg)> NextPairAsync(TestClient client)
    {
        ImageMessage? frame = null;
        for (int i = 0; i < 1000; i++)
        {
            var m = await client.ReceiveAsync(90) ?? throw new InvalidOperationException("connection closed while streaming");
            if (m is not ImageMessage image) continue;
            if (image.DeviceName == FrameSourceServer.Device[..Math.Min(16, FrameSourceServer.Device.Length)]) frame = image;
            else if (frame is not null && image.DeviceName.EndsWith("_seg", StringComparison.Ordinal)
                     && image.Metadata["FrameIndex"] == frame.Metadata["FrameIndex"]) return (frame, image);
        }
        throw new InvalidOperationException("no frame/mask pair in 1000 messages");
    }

    private static void AssertPair(ImageMessage frame, ImageMessage seg)
    {
        Assert.Equal("Image_Reference", frame.DeviceName);
        Assert.Equal("Image_Reference_seg", seg.DeviceName);
        Assert.Equal(IgtlScalarType.UInt8, seg.ScalarType);
        Assert.Equal((frame.SizeI, frame.SizeJ, 1), (seg.SizeI, seg.SizeJ, seg.SizeK));
        Assert.All(frame.GetIjkToRas().Zip(Oblique), p => Assert.Equal(p.Second, p.First, 4));
        Assert.Equal(frame.GetIjkToRas(), seg.GetIjkToRas());
        Assert.Equal(frame.Timestamp, seg.Timestamp);
        foreach (var key in new[] { "FrameIndex", "DroppedFrames", "LatencyMs", "Score" })
        {
            Assert.True(double.TryParse(seg.Metadata[key], CultureInfo.InvariantCulture, out _), $"{key} = '{seg.Metadata[key]}'");
            Assert.Equal(frame.Metadata[key], seg.Metadata[key]);
        }
        Assert.Contains(seg.Pixels.ToArray(), b => b == 1);
        Assert.Contains(seg.Pixels.ToArray(), b => b == 0);
    }

    private static JsonObject Streams(RtsCommandMessage status) => (JsonObject)JsonNode.Parse(status.Content)!["streams"]!;

    [Fact]
    public async Task StartStream_sends_frames_with_masks_and_StopStream_ends_them()
    {
        var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        var (started, _) = await client.CommandAsync("StartStream", BoxJson());
        Assert.Equal("SUCCESS", started.Metadata["Status"]);
        Assert.Equal("Image_Reference", (string)JsonNode.Parse(started.Content)!["device"]!);

        var first = await NextPairAsync(client);
        AssertPair(first.Frame, first.Seg);
        var second = await NextPairAsync(client);
        AssertPair(second.Frame, second.Seg);
        Assert.True(long.Parse(second.Frame.Metadata["FrameIndex"], CultureInfo.InvariantCulture) > long.Parse(first.Frame.Metadata["FrameIndex"], CultureInfo.InvariantCulture));

        var (status, _) = await client.CommandAsync("GetStatus");
        var stream = Streams(status)["streams"]![0]!;
        Assert.Equal("Image_Reference", (string)stream["device"]!);
        Assert.Equal(1, (int)stream["clients"]!);
        Assert.True((bool)Streams(status)["sources"]![0]!["connected"]!);

        var (stopped, _) = await client.CommandAsync("StopStream");
        Assert.Equal("SUCCESS", stopped.Metadata["Status"]);
        Assert.True((bool)JsonNode.Parse(stopped.Content)!["stopped"]!);
        // At most the pair already being written may follow the reply; at 10 frames/s, 2 s of silence means it stopped.
        int imagesAfter = 0;
        while (true)
        {
            IgtlMessage? m;
            try { m = await client.ReceiveAsync(2); }
            catch (TimeoutException) { break; }
            Assert.NotNull(m);
            if (m is ImageMessage) imagesAfter++;
        }
        Assert.True(imagesAfter <= 2, $"{imagesAfter} images after StopStream");
        var (after, _) = await client.CommandAsync("GetStatus");
        Assert.Equal(0, (int)Streams(after)["streams"]![0]!["clients"]!);
    }

    [Fact]
    public async Task Two_clients_share_a_stream_and_one_leaving_leaves_the_other_served()
    {
        var server = await StartAsync();
        await using var stays = await server.ConnectAsync();
        var leaves = await server.ConnectAsync();
        Assert.Equal("SUCCESS", (await stays.CommandAsync("StartStream", BoxJson())).Reply.Metadata["Status"]);
        Assert.Equal("SUCCESS", (await leaves.CommandAsync("StartStream", BoxJson())).Reply.Metadata["Status"]);
        var a = await NextPairAsync(stays);
        var b = await NextPairAsync(leaves);
        AssertPair(a.Frame, a.Seg);
        AssertPair(b.Frame, b.Seg);
        var (both, _) = await stays.CommandAsync("GetStatus");
        Assert.Equal(2, (int)Streams(both)["streams"]![0]!["clients"]!);

        await leaves.DisposeAsync();   // the Slicer client leaves mid-stream
        long last = long.Parse(a.Frame.Metadata["FrameIndex"], CultureInfo.InvariantCulture);
        for (int i = 0; i < 3; i++)
        {
            var p = await NextPairAsync(stays);
            AssertPair(p.Frame, p.Seg);
            long index = long.Parse(p.Frame.Metadata["FrameIndex"], CultureInfo.InvariantCulture);
            Assert.True(index > last);
            last = index;
        }
        int clients = 2;
        for (int i = 0; i < 50 && clients != 1; i++)
        {
            var (status, _) = await stays.CommandAsync("GetStatus");
            clients = (int)Streams(status)["streams"]![0]!["clients"]!;
            if (clients != 1) await Task.Delay(100);
        }
        Assert.Equal(1, clients);
    }

    [Fact]
    public async Task While_streaming_a_POINT_or_SetRoi_reprompts_the_stream_instead_of_segmenting()
    {
        var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        // Without a stream, a POINT with no volume is refused (STATUS 4): the re-prompt path must not answer that.
        Assert.Equal("SUCCESS", (await client.CommandAsync("StartStream", BoxJson())).Reply.Metadata["Status"]);
        await NextPairAsync(client);
        Vec3 p = Ras(130, 130, 0);
        var point = new PointMessage { DeviceName = "PromptPos" };
        point.Points.Add(new PointElement("P0", "Fiducial", 255, 0, 0, 255, (float)p.X, (float)p.Y, (float)p.Z, 1, ""));
        await client.SendAsync(point);
        Vec3 c = Ras(130, 130, 0);
        var (roi, before) = await client.CommandAsync("SetRoi",
            string.Create(CultureInfo.InvariantCulture, $$"""{"center": [{{c.X}},{{c.Y}},{{c.Z}}], "size": [30, 30, 30]}"""));
        Assert.Equal("SUCCESS", roi.Metadata["Status"]);
        Assert.True((bool)JsonNode.Parse(roi.Content)!["stream"]!);
        Assert.DoesNotContain(before, m => m is StatusMessage);
        var pair = await NextPairAsync(client);
        AssertPair(pair.Frame, pair.Seg);

        // After StopStream the same POINT goes the usual way again: no volume, STATUS 4.
        await client.CommandAsync("StopStream");
        await client.SendAsync(point);
        StatusMessage? status = null;
        for (int i = 0; i < 100 && status is null; i++) status = await client.ReceiveAsync(20) as StatusMessage;
        Assert.Equal(IgtlStatusCode.NotFound, status!.Code);
    }

    [Fact]
    public async Task Bad_StartStream_requests_fail_with_a_message_and_StopStream_without_a_stream_succeeds()
    {
        var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        foreach (var (content, expected) in new[]
        {
            ("not json", "not JSON"),
            ("""{"Box": [0,0,0,1,1,1]}""", "\"Device\""),
            ("""{"Device": "Image_Reference"}""", "Box"),
            ("""{"Device": "Image_Reference", "Model": "sphere", "Box": [0,0,0,1,1,1]}""", "sam-med2d"),
            ("""{"Device": "Image_Reference", "Model": "nope", "Box": [0,0,0,1,1,1]}""", "Unknown model 'nope'"),
        })
        {
            var (reply, _) = await client.CommandAsync("StartStream", content);
            Assert.Equal("FAIL", reply.Metadata["Status"]);
            Assert.Contains(expected, reply.Metadata["ErrorMessage"]);
        }
        var (stopped, _) = await client.CommandAsync("StopStream");
        Assert.Equal("SUCCESS", stopped.Metadata["Status"]);
        Assert.False((bool)JsonNode.Parse(stopped.Content)!["stopped"]!);
        var (status, _) = await client.CommandAsync("GetStatus");
        Assert.NotNull(Streams(status)["sources"]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        if (_source is not null) await _source.DisposeAsync();
    }
}
