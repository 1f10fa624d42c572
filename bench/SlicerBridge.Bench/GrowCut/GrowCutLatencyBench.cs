using System.Diagnostics;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.GrowCut;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Bench.GrowCut;

/// <summary>
/// GrowCut latency on a 256×256×200 int16 phantom (0.8 × 0.8 × 1.5 mm, an ellipsoid "organ" of 400 HU with a
/// 200 HU lesion in 40 HU tissue, noise ±20): one click from scratch (full run) and a second click fed the first
/// click's state (incremental; the second click adds the lesion), p50/p95 over N runs, for a typical 80 mm ROI and without an ROI (margin box).
/// </summary>
public sealed class GrowCutLatencyBench : IBenchCommand
{
    public string Name => "growcut-latency";
    public string Description => "GrowCut latency, 256x256x200 int16 phantom: full 1st click and incremental 2nd click, p50/p95: [runs=20]";

    public int Run(string[] args)
    {
        int runs = args.Length > 0 && int.TryParse(args[0], out int r) && r > 0 ? r : 20;
        Volume volume = Phantom();
        var centre = new Vec3(102.4, 102.4, 150);
        var first = new PromptPoint(centre, true);
        var second = new PromptPoint(centre + new Vec3(10, -8, 5), true); // a positive click on the lesion, which click 1 left out
        using var model = new GrowCutModel();
        Console.WriteLine($"phantom {volume.Geometry}, {Environment.ProcessorCount} logical CPUs, {runs} runs each (after 2 warm-up runs)");
        Measure(model, volume, "ROI 80 mm", RoiBox.AxisAligned(centre, new Vec3(80, 80, 80)), first, second, runs);
        Measure(model, volume, "no ROI (30 mm margin box)", null, first, second, runs);
        return 0;
    }

    private static void Measure(GrowCutModel model, Volume volume, string label, RoiBox? roi, PromptPoint first, PromptPoint second, int runs)
    {
        var full = new List<double>();
        var incremental = new List<double>();
        var inferFull = new List<double>();
        var inferIncremental = new List<double>();
        for (int run = -2; run < runs; run++)
        {
            var clock = Stopwatch.StartNew();
            var one = model.Segment(new SegmentationRequest { Volume = volume, Points = [first], Roi = roi }, CancellationToken.None);
            double fullMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var two = model.Segment(new SegmentationRequest { Volume = volume, Points = [first, second], Roi = roi, Previous = one.State },
                CancellationToken.None);
            double incrementalMs = clock.Elapsed.TotalMilliseconds;
            if (run < 0) continue;
            full.Add(fullMs); incremental.Add(incrementalMs);
            inferFull.Add(one.Timings.InferMs); inferIncremental.Add(two.Timings.InferMs);
        }
        Console.WriteLine($"{label}: full click    p50 {Percentile(full, 50),7:0.0} ms  p95 {Percentile(full, 95),7:0.0} ms  (growth p50 {Percentile(inferFull, 50):0.0} ms)");
        Console.WriteLine($"{label}: incremental   p50 {Percentile(incremental, 50),7:0.0} ms  p95 {Percentile(incremental, 95),7:0.0} ms  (growth p50 {Percentile(inferIncremental, 50):0.0} ms)");
    }

    private static double Percentile(List<double> values, double percent)
    {
        var sorted = values.Order().ToList();
        int index = (int)Math.Ceiling(percent / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }

    private static Volume Phantom()
    {
        var g = VolumeGeometry.AxisAligned(256, 256, 200, new Vec3(0.8, 0.8, 1.5), new Vec3(0, 0, 0));
        var voxels = new float[g.VoxelCount];
        var random = new Random(1234);
        var organ = new Vec3(102.4, 102.4, 150);
        var lesion = organ + new Vec3(10, -8, 5);
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                {
                    Vec3 p = g.IjkToRasPoint(new Vec3(i, j, k));
                    Vec3 d = p - organ;
                    double e = d.X * d.X / (30 * 30) + d.Y * d.Y / (22 * 22) + d.Z * d.Z / (26 * 26);
                    double value = e <= 1 ? 400 : 40;
                    if ((p - lesion).Length <= 7) value = 200;
                    voxels[g.Index(i, j, k)] = (float)Math.Round(value + random.Next(-20, 21)); // int16 values
                }
        return new Volume(g, voxels, "latency-phantom", VoxelType.Int16);
    }
}
