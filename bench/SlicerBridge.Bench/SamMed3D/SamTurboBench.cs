using System.Diagnostics;
using System.Globalization;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Bench.SamMed3D;

/// <summary>
/// SAM-Med3D turbo configuration (768 × 12 encoder, 384 decoder) with seeded weights: load time, encoder time and
/// decoder time per click (median), peak working set, on the ONNX Runtime engine and the device asked for.
/// Peer: <c>bench/peers/sam_med3d_torch.py --bench-turbo</c>.
/// </summary>
public sealed class SamTurboBench : IBenchCommand
{
    public string Name => "sam-turbo";
    public string Description => "SAM-Med3D turbo encoder/decoder timing with seeded weights: sam-turbo [repeats] [device]";

    public int Run(string[] args)
    {
        int repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var device = ExecutionDevice.Parse(args.Length > 1 ? args[1] : "cpu");
        var config = SamMed3DConfig.Turbo;
        var sw = Stopwatch.StartNew();
        using var checkpoint = new SeededCheckpoint(SamMed3DCheckpointLayout.Expected(config), 233);
        using var network = SamMed3DNetwork.Load(checkpoint, config, device);
        double loadMs = sw.Elapsed.TotalMilliseconds;
        var rng = new Random(7);
        var crop = new float[128 * 128 * 128];
        for (int i = 0; i < crop.Length; i++) crop[i] = (float)(rng.NextDouble() * 2 - 1);

        var encoder = new List<double>();
        SamImageEmbedding? embedding = null;
        for (int r = 0; r < repeats + 1; r++)
        {
            sw.Restart();
            embedding = network.EncodeImage(crop, CancellationToken.None);
            if (r > 0) encoder.Add(sw.Elapsed.TotalMilliseconds);
        }
        var decoder = new List<double>();
        var decoderWithMask = new List<double>();
        float[] previous = [];
        SamPoint[] clicks = [new(64, 64, 64, 1), new(30, 70, 50, 0), new(80, 60, 70, 1)];
        for (int r = 0; r < 3 * repeats + 1; r++)
        {
            var points = clicks[..(r % 3 + 1)];
            sw.Restart();
            var output = network.Decode(embedding!, points, previous);
            double decodeMs = sw.Elapsed.TotalMilliseconds;
            LogitUpsampler.ThresholdMask(output.LowResLogits, network.LowResSize, network.ImageSize);
            if (r > 0)
            {
                decoder.Add(decodeMs);
                decoderWithMask.Add(sw.Elapsed.TotalMilliseconds);
            }
            previous = r % 3 == 2 ? [] : output.LowResLogits;
        }
        double peakMiB = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        Console.WriteLine($"device: {network.Execution}, {Environment.ProcessorCount} threads");
        Console.WriteLine($"weights: {network.WeightBytes / 1048576.0:F0} MiB, load {loadMs:F0} ms (seeded weights, graphs built, sessions made)");
        Console.WriteLine($"encoder: median {Median(encoder):F0} ms, min {encoder.Min():F0} ms over {encoder.Count}");
        Console.WriteLine($"decoder: median {Median(decoder):F1} ms, min {decoder.Min():F1} ms over {decoder.Count} clicks (1-3 points)");
        Console.WriteLine($"decoder + trilinear 32³→128³ + threshold (the PyTorch peer's scope): median {Median(decoderWithMask):F1} ms");
        Console.WriteLine($"peak working set: {peakMiB:F0} MiB");
        return 0;
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
