using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Host.Streaming;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Streaming;

/// <summary>
/// The relay against a PLUS-like source (<see cref="FrameSourceServer"/>) with the tiny SAM-Med2D fixture model: frames
/// and masks in the right place, latest frame wins, tracking lost, the source restarting, clients leaving mid-stream,
/// two clients on one stream.
/// </summary>
public sealed class StreamRelayTests : IAsyncDisposable
{
    private static readonly double[] Oblique = BuildOblique();
    private readonly ModelRegistry _models;
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly (byte[] Grey, int Height, int Width) _ct;

    public StreamRelayTests()
    {
        string checkpoint = SharedFixtures.SamMed2DTiny("checkpoint.pth");
        _models = new ModelRegistry([new SamMed2DModelFactory()],
            [new ModelSpec("sam-med2d", "sam-med2d", checkpoint, SharedFixtures.SamMed2DTiny("fixture.json"), "cpu")], long.MaxValue);
        var (hwc, h, w) = SamMed2DRunPlan.ReadImage(SharedFixtures.SamMed2DTiny("ct_image_u8.npy"));
        _ct = (Enumerable.Range(0, h * w).Select(i => hwc[3 * i]).ToArray(), h, w);
    }

    private static double[] BuildOblique()
    {
        double c = Math.Cos(0.4), s = Math.Sin(0.4);
        // columns: I = 0.5 mm along (c, s, 0), J = 0.5 mm along (0, 0, -1) (a sagittal-ish probe plane), K = normal
        return [0.5 * c, 0, -s, 10, 0.5 * s, 0, c, -30, 0, -0.5, 0, 60];
    }

    /// <summary>The CT slice moving right by <paramref name="step"/> pixels per frame (wrapping), <paramref name="count"/> frames.</summary>
    private List<(byte[], double[])> Sweep(int count, int step) =>
        Enumerable.Range(0, count).Select(f =>
        {
            var (grey, h, w) = _ct;
            var moved = new byte[grey.Length];
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++) moved[r * w + c] = grey[r * w + ((c - f * step) % w + w) % w];
            return (moved, Oblique);
        }).ToList();

    /// <summary>Source, relay, and the clients subscribed with <see cref="BoxRequest"/> before the relay connects (so they see every frame).</summary>
    private async Task<(StreamRelay Relay, FrameSourceServer Source)> StartAsync(int frames, double fps, float minScore, params IStreamSubscriber[] clients)
    {
        const int step = 1;
        var source = new FrameSourceServer(Sweep(frames, step), _ct.Width, _ct.Height, fps).Start();
        _owned.Add(source);
        var options = new StreamingOptions { Sources = [$"127.0.0.1:{source.Port}"], TrackingMinScore = minScore, ReconnectInitialMilliseconds = 50, ReconnectMaxMilliseconds = 200 };
        var relay = new StreamRelay(Options.Create(options), Options.Create(new BridgeOptions()), _models, NullLogger<StreamRelay>.Instance);
        _owned.Insert(0, relay);
        foreach (var client in clients) relay.Start(BoxRequest(), client);
        await relay.StartAsync(default);
        return (relay, source);
    }

    private static Vec3 Ras(double i, double j, double k) => new(
        Oblique[0] * i + Oblique[1] * j + Oblique[2] * k + Oblique[3],
        Oblique[4] * i + Oblique[5] * j + Oblique[6] * k + Oblique[7],
        Oblique[8] * i + Oblique[9] * j + Oblique[10] * k + Oblique[11]);

    /// <summary>StartStream with a box around pixels 100..159 × 85..174 of the frame, 2 mm thick across the plane.</summary>
    private static StartStreamRequest BoxRequest()
    {
        Vec3 a = Ras(99.5, 84.5, -1), b = Ras(159.5, 174.5, 1);
        string json = string.Create(CultureInfo.InvariantCulture, $$"""{"Device": "{{FrameSourceServer.Device}}", "Box": [{{a.X}},{{a.Y}},{{a.Z}},{{b.X}},{{b.Y}},{{b.Z}}]}""");
        return StartStreamRequest.Parse(json);
    }

    [Fact]
    public async Task Each_processed_frame_comes_with_its_mask_on_the_same_grid_and_timestamp()
    {
        var client = new CollectingSubscriber("slicer");
        var (relay, _) = await StartAsync(frames: 600, fps: 10, minScore: -100, client);
        var pairs = await client.PairsAsync(4, TimeSpan.FromSeconds(90));
        foreach (var (frame, seg) in pairs)
        {
            Assert.Equal(FrameSourceServer.Device, frame.DeviceName);
            Assert.Equal(FrameSourceServer.Device + "_seg", seg.DeviceName);
            Assert.Equal(IgtlScalarType.UInt8, seg.ScalarType);
            Assert.Equal((frame.SizeI, frame.SizeJ, 1), (seg.SizeI, seg.SizeJ, seg.SizeK));
            Assert.All(frame.GetIjkToRas().Zip(Oblique), p => Assert.Equal(p.Second, p.First, 4));   // float32 on the wire
            Assert.Equal(frame.GetIjkToRas(), seg.GetIjkToRas());
            Assert.Equal(frame.Timestamp, seg.Timestamp);
            foreach (var key in new[] { "FrameIndex", "DroppedFrames", "LatencyMs", "Score", "Tracking" })
                Assert.Equal(frame.Metadata[key], seg.Metadata[key]);
            Assert.Equal("Tracking", seg.Metadata["Tracking"]);
            Assert.Contains(seg.Pixels.ToArray(), b => b == 1);
        }
        var indices = pairs.Select(p => long.Parse(p.Frame.Metadata["FrameIndex"], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(indices.Order(), indices);
        Assert.Equal(indices.Count, indices.Distinct().Count());
        Assert.Contains(client.Received, m => m is TransformMessage { DeviceName: "ImageToReference" });

        // The first frame's mask is the model's answer to the box on that frame (its footprint in pixels, the official box).
        var first = pairs[0];
        using var lease = _models.Acquire("sam-med2d");
        var predictor = ((SamMed2DModel)lease.Model).Predictor;
        int firstIndex = int.Parse(first.Frame.Metadata["FrameIndex"], CultureInfo.InvariantCulture);
        var frameBytes = first.Frame.Pixels.ToArray();
        var encoded = predictor.EncodeGrey(frameBytes, _ct.Height, _ct.Width, default);
        var expected = predictor.Predict(encoded, [], new Inference.Models.SamMed2D.Pipeline.FrameBox(100, 85, 160, 175), null);
        Assert.Equal(expected.Mask, first.Seg.Pixels.ToArray());
        Assert.True(firstIndex >= 1);
    }

    [Fact]
    public async Task Frames_arriving_while_the_model_is_busy_are_dropped_and_the_newest_is_processed()
    {
        var client = new CollectingSubscriber("slicer");
        var (relay, source) = await StartAsync(frames: 40, fps: 0, minScore: -100, client);   // a burst: far faster than the encoder
        for (int i = 0; i < 600 && source.FramesSent < 40; i++) await Task.Delay(50);
        // Once the burst is over, the last frame is the one that ends up processed.
        var pairs = await client.WaitForAsync(p => p.Frame.Metadata["FrameIndex"] == "40", TimeSpan.FromSeconds(90));
        long dropped = long.Parse(pairs[^1].Frame.Metadata["DroppedFrames"], CultureInfo.InvariantCulture);
        Assert.True(dropped > 0, "a burst of 40 frames against a model that takes milliseconds per frame must drop some");
        Assert.True(pairs.Count + dropped <= 40, $"{pairs.Count} processed + {dropped} dropped > 40 received: frames were queued or duplicated");
        var status = relay.Status();
        Assert.Equal(dropped, (long)status["streams"]![0]!["droppedFrames"]!);
    }

    [Fact]
    public async Task A_score_below_the_threshold_reports_tracking_lost_and_waits_for_a_new_prompt()
    {
        var client = new CollectingSubscriber("slicer");
        var (relay, _) = await StartAsync(frames: 600, fps: 10, minScore: 100, client);
        var pairs = await client.PairsAsync(3, TimeSpan.FromSeconds(90));
        Assert.All(pairs, p => Assert.Equal("Lost", p.Seg.Metadata["Tracking"]));
        Assert.All(pairs.Skip(1), p => Assert.DoesNotContain(p.Seg.Pixels.ToArray(), b => b != 0));   // waiting: nothing segmented
        Assert.True(relay.Reprompt(client, null, [new PromptPoint(Ras(113, 125, 0), true)]));
        Assert.False(relay.Reprompt(new CollectingSubscriber("other"), null, []));
    }

    [Fact]
    public async Task The_relay_reconnects_when_the_source_restarts()
    {
        var client = new CollectingSubscriber("slicer");
        var (relay, source) = await StartAsync(frames: 3, fps: 20, minScore: -100, client);
        await client.PairsAsync(1, TimeSpan.FromSeconds(90));
        await source.StopAsync();
        int before = client.Pairs.Count;
        source.Start();                                   // the same port: PlusServer restarted
        await client.PairsAsync(before + 1, TimeSpan.FromSeconds(90));
        var s = relay.Status()["sources"]![0]!;
        Assert.True((long)s["connections"]! >= 2);
    }

    [Fact]
    public async Task A_client_leaving_mid_stream_does_not_stop_the_other()
    {
        var stays = new CollectingSubscriber("stays");
        var leaves = new CollectingSubscriber("leaves");
        var (relay, _) = await StartAsync(frames: 600, fps: 10, minScore: -100, stays, leaves);
        await leaves.PairsAsync(1, TimeSpan.FromSeconds(90));
        leaves.Disconnect();
        int count = stays.Pairs.Count;
        await stays.PairsAsync(count + 2, TimeSpan.FromSeconds(90));
        Assert.Equal(1, (int)relay.Status()["streams"]![0]!["clients"]!);
        Assert.True(relay.Stop(stays));
        Assert.False(relay.Stop(stays));
    }

    [Fact]
    public void StartStream_requests_are_checked()
    {
        Assert.Throws<FormatException>(() => StartStreamRequest.Parse("""{"Box": [0,0,0,1,1,1]}"""));
        Assert.Throws<FormatException>(() => StartStreamRequest.Parse("""{"Device": "US"}"""));
        Assert.Throws<FormatException>(() => StartStreamRequest.Parse("""{"Device": "US", "Points": [[1,2,3,5]]}"""));
        Assert.Throws<FormatException>(() => StartStreamRequest.Parse("not json"));
        var r = StartStreamRequest.Parse("""{"device": "US", "points": [[1,2,3], [4,5,6,0]], "model": "m"}""");
        Assert.Equal(("US", "m", 2), (r.Device, r.Model, r.Points.Count));
        Assert.False(StreamEndpoint.TryParse("host", out _, out _));
        Assert.False(StreamEndpoint.TryParse("::1:18944", out _, out _));
        Assert.Equal(new StreamEndpoint("::1", 18944), StreamEndpoint.Parse("[::1]:18944"));
        Assert.Equal(new StreamEndpoint("plus.local", 18944), StreamEndpoint.Parse("plus.local:18944"));
    }

    [Fact]
    public async Task A_bad_stream_source_stops_start_up_with_a_message()
    {
        var stderr = new StringWriter();
        var overrides = new Dictionary<string, string?> { ["Server:Port"] = "0", ["Streaming:Sources:0"] = "plus-without-port" };
        int code = await SlicerBridge.Host.Cli.ServeCommand.RunAsync(([], overrides), stderr, default);
        Assert.Equal(SlicerBridge.Host.Cli.ServeCommand.ExitConfiguration, code);
        Assert.Contains("not HOST:PORT", stderr.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _owned) await d.DisposeAsync();
        _models.Dispose();
    }

    /// <summary>A client that keeps copies of what it receives; after <see cref="Disconnect"/> its sends fail like a closed socket.</summary>
    private sealed class CollectingSubscriber(string name) : IStreamSubscriber
    {
        private readonly Channel<int> _arrivals = Channel.CreateUnbounded<int>();
        private ImageMessage? _frame;
        private volatile bool _gone;
        public string Name => name;
        public List<IgtlMessage> Received { get; } = [];
        public List<(ImageMessage Frame, ImageMessage Seg)> Pairs { get; } = [];

        public void Disconnect() => _gone = true;

        public ValueTask SendAsync(IgtlMessage message, CancellationToken cancellationToken)
        {
            if (_gone) throw new IOException("connection reset");
            var copy = IgtlMessageParserRoundTrip(message);
            lock (Pairs)
            {
                Received.Add(copy);
                if (copy is ImageMessage image)
                {
                    if (!image.DeviceName.EndsWith("_seg", StringComparison.Ordinal)) _frame = image;
                    else if (_frame is not null) { Pairs.Add((_frame, image)); _arrivals.Writer.TryWrite(Pairs.Count); }
                }
            }
            return ValueTask.CompletedTask;
        }

        /// <summary>Serialise and parse back: what a client really receives (and a copy that outlives the relay's buffers).</summary>
        private static IgtlMessage IgtlMessageParserRoundTrip(IgtlMessage message)
        {
            var bytes = IgtlMessageWriter.ToArray(message);
            var reader = new IgtlMessageReader(System.IO.Pipelines.PipeReader.Create(new MemoryStream(bytes)));
            return reader.ReadAsync().AsTask().GetAwaiter().GetResult()!;
        }

        public Task<List<(ImageMessage Frame, ImageMessage Seg)>> PairsAsync(int count, TimeSpan timeout) => WaitForAsync(_ => Pairs.Count >= count, timeout);

        public async Task<List<(ImageMessage Frame, ImageMessage Seg)>> WaitForAsync(Func<(ImageMessage Frame, ImageMessage Seg), bool> done, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (true)
            {
                lock (Pairs)
                    if (Pairs.Count > 0 && done(Pairs[^1])) return [.. Pairs];
                try { await _arrivals.Reader.ReadAsync(cts.Token); }
                catch (OperationCanceledException) { lock (Pairs) throw new TimeoutException($"{name}: {Pairs.Count} frame pairs after {timeout}."); }
            }
        }
    }
}
