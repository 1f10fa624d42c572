using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Host.Streaming;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Onnx;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Bench.SamMed2D;

/// <summary>
/// The relay end to end over loopback with the released-size SAM-Med2D (seeded weights): a PLUS-like source sends
/// 640×480 frames (a moving bright disc) at each rate for a while; one client starts a stream with a box and receives
/// frame + mask. Reports frame→mask latency p50/p95 (the relay's LatencyMs: arrival at the relay → mask sent), output
/// frames per second and the share of frames dropped.
/// </summary>
public sealed class RelayLatencyBench : IBenchCommand
{
    public string Name => "relay-latency";
    public string Description => "Streaming relay latency and throughput with seeded released-size SAM-Med2D: relay-latency [seconds=30] [fps=10,30] [device=cpu]";

    public int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        var rates = (args.Length > 1 ? args[1] : "10,30").Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        string device = args.Length > 2 ? args[2] : "cpu";
        using var models = new ModelRegistry([new SeededFactory()], [new ModelSpec("sam-med2d", "sam-med2d-seeded", null, null, device)], long.MaxValue);
        using (models.Acquire("sam-med2d")) { }   // load before timing
        Console.WriteLine($"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (double fps in rates) RunAsync(models, fps, seconds).GetAwaiter().GetResult();
        Console.WriteLine($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    private static async Task RunAsync(ModelRegistry models, double fps, double seconds)
    {
        const int width = 640, height = 480;
        int count = (int)(fps * seconds);
        double[] ijkToRas = [0.2, 0, 0, -64, 0, 0, -0.2, 48, 0, -0.2, 0, 10];   // a probe plane in RAS, 0.2 mm pixels
        var frames = Enumerable.Range(0, count).Select(f =>
        {
            var pixels = new byte[width * height];
            double cx = 320 + 60 * Math.Sin(f * 0.05), cy = 240;
            for (int r = 0; r < height; r++)
                for (int c = 0; c < width; c++)
                    pixels[r * width + c] = (byte)((c - cx) * (c - cx) + (r - cy) * (r - cy) < 60 * 60 ? 200 : 40 + (r + c) % 16);
            return (pixels, ijkToRas);
        }).ToList();
        await using var source = new FrameSourceServer(frames, width, height, fps).Start();
        var options = new StreamingOptions { Sources = [$"127.0.0.1:{source.Port}"], TrackingMinScore = float.NegativeInfinity };
        await using var relay = new StreamRelay(Options.Create(options), Options.Create(new BridgeOptions()), models, NullLogger<StreamRelay>.Instance);
        var client = new LatencyClient();
        Vec3 Ras(double i, double j) => new(ijkToRas[0] * i + ijkToRas[3], ijkToRas[7], ijkToRas[9] * j + ijkToRas[11]);   // k = 0
        var a = Ras(250, 170); var b = Ras(390, 310);
        relay.Start(StartStreamRequest.Parse(string.Create(CultureInfo.InvariantCulture,
            $$"""{"Device": "{{FrameSourceServer.Device}}", "Box": [{{a.X}},{{a.Y - 1}},{{a.Z}},{{b.X}},{{b.Y + 1}},{{b.Z}}]}""")), client);
        await relay.StartAsync(default);
        var clock = Stopwatch.StartNew();
        while (source.FramesSent < count && clock.Elapsed.TotalSeconds < seconds * 3) await Task.Delay(100);
        double sendSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, seconds)));    // let the last frame finish
        var status = relay.Status()["streams"]![0]!;
        var latencies = client.Latencies.Order().ToList();
        long dropped = (long)status["droppedFrames"]!, received = (long)status["framesReceived"]!;
        Console.WriteLine(FormattableString.Invariant(
            $"{fps} frames/s in for {sendSeconds:0.0} s: {received} received, {latencies.Count} processed ({latencies.Count / sendSeconds:0.00}/s), {dropped} dropped ({100.0 * dropped / Math.Max(1, received):0}%); latency p50 {Percentile(latencies, 50):0} ms, p95 {Percentile(latencies, 95):0} ms, max {latencies.LastOrDefault():0} ms"));
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[(int)Math.Clamp(Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private sealed class LatencyClient : IStreamSubscriber
    {
        public ConcurrentBag<double> Latencies { get; } = [];
        public string Name => "bench";
        public ValueTask SendAsync(IgtlMessage message, CancellationToken cancellationToken)
        {
            IgtlMessageWriter.ToArray(message);   // what a session would serialise
            if (message.DeviceName.EndsWith("_seg", StringComparison.Ordinal))
                Latencies.Add(double.Parse(message.Metadata["LatencyMs"], CultureInfo.InvariantCulture));
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>"sam-med2d-seeded": the released network with seeded weights (no checkpoint download).</summary>
    private sealed class SeededFactory : IModelFactory
    {
        public string Kind => "sam-med2d-seeded";
        public ISegmentationModel Create(ModelSpec spec)
        {
            var config = SamMed2DConfig.Released;
            using var checkpoint = new SeededCheckpoint(SamMed2DCheckpointLayout.Expected(config), 2026);
            var network = SamMed2DNetwork.Load(checkpoint, config, ExecutionDevice.Parse(spec.Device));
            return new SamMed2DModel(spec.Name, network, "seeded weights", network.WeightBytes);
        }
    }
}
