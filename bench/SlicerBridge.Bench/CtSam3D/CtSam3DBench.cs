using System.Diagnostics;
using System.Globalization;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Models.CtSam3D;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Bench.CtSam3D;

/// <summary>
/// CT-SAM3D restv2_tiny (the released configuration) with seeded weights: encoder per 64³ patch and decoder per click
/// (click maps + prompt + decoder + threshold, 1-3 cumulative clicks with the previous probability), medians, peak working
/// set, on the ONNX Runtime engine and the device asked for. Peer: <c>bench/peers/ct_sam3d_torch.py --bench-tiny</c>.
/// </summary>
public sealed class CtSam3DBench : IBenchCommand
{
    public string Name => "ct-sam3d";
    public string Description => "CT-SAM3D restv2_tiny encoder/decoder timing with seeded weights: ct-sam3d [repeats] [device]";

    public int Run(string[] args)
    {
        int repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var device = ExecutionDevice.Parse(args.Length > 1 ? args[1] : "cpu");
        var config = CtSam3DConfig.Tiny;
        string load = LoadAverage();
        var sw = Stopwatch.StartNew();
        using var checkpoint = new PositiveVariances(new SeededCheckpoint(CtSam3DCheckpointLayout.All(config), 233));
        using var network = CtSam3DNetwork.Load(checkpoint, config, device);
        double loadMs = sw.Elapsed.TotalMilliseconds;
        var rng = new Random(7);
        var patch = new float[64 * 64 * 64];
        for (int i = 0; i < patch.Length; i++) patch[i] = (float)rng.NextDouble();

        var encoder = new List<double>();
        CtSamFeatures? features = null;
        for (int r = 0; r < repeats + 1; r++)
        {
            sw.Restart();
            features = network.EncodePatch(patch, CancellationToken.None);
            if (r > 0) encoder.Add(sw.Elapsed.TotalMilliseconds);
        }
        var decoder = new List<double>();
        var decoderCpu = new List<double>();
        var process = Process.GetCurrentProcess();
        float[] previous = [];
        CtSamClick[] clicks = [new(32, 32, 32, 1), new(44, 20, 28, 0), new(36, 35, 30, 1)];
        for (int r = 0; r < 3 * repeats + 1; r++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            sw.Restart();
            var output = network.Decode(features!, clicks.AsSpan(0, r % 3 + 1), previous);
            output.Mask();
            if (r > 0)
            {
                decoder.Add(sw.Elapsed.TotalMilliseconds);
                process.Refresh();
                decoderCpu.Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
            }
            if (output.Probability.Any(v => !float.IsFinite(v))) throw new InvalidOperationException("non-finite probabilities: the seeded weights are broken");
            previous = r % 3 == 2 ? [] : output.Probability;
        }
        var cpp = new List<double>();
        if (network.HasCrossPatch)
            for (int r = 0; r < repeats + 1; r++)
            {
                sw.Restart();
                network.CrossPatchHeatmap(patch, new byte[patch.Length], patch, CancellationToken.None);
                if (r > 0) cpp.Add(sw.Elapsed.TotalMilliseconds);
            }
        double peakMiB = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        Console.WriteLine($"device: {network.Execution}, {Environment.ProcessorCount} logical processors");
        Console.WriteLine($"loadavg at start: {load}, at end: {LoadAverage()}");
        Console.WriteLine($"weights: {network.WeightBytes / 1048576.0:F0} MiB, load {loadMs:F0} ms (seeded weights, graphs built, sessions made)");
        Console.WriteLine($"encoder per patch: median {Median(encoder):F0} ms, min {encoder.Min():F0} ms over {encoder.Count} [{string.Join(", ", encoder.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}]");
        Console.WriteLine($"decoder per click: median {Median(decoder):F0} ms, min {decoder.Min():F0} ms over {decoder.Count} (1-3 clicks) [{string.Join(", ", decoder.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}]");
        Console.WriteLine($"decoder per click, CPU time of all threads: median {Median(decoderCpu):F0} ms (less sensitive to other load than wall time)");
        if (cpp.Count > 0) Console.WriteLine($"cross-patch UNet: median {Median(cpp):F0} ms over {cpp.Count}");
        Console.WriteLine($"peak working set: {peakMiB:F0} MiB");
        return 0;
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>Seeded weights give BatchNorm running variances around 0 (some negative); real ones are positive, so they are taken as 1 + |v|.</summary>
    private sealed class PositiveVariances(ICheckpoint inner) : ICheckpoint
    {
        public string Source => inner.Source;
        public IReadOnlyList<CheckpointTensorInfo> Tensors => inner.Tensors;
        public bool Contains(string name) => inner.Contains(name);
        public int[] GetShape(string name) => inner.GetShape(name);

        public void ReadFloat32(string name, Span<float> destination)
        {
            inner.ReadFloat32(name, destination);
            if (!name.EndsWith(".running_var", StringComparison.Ordinal)) return;
            foreach (ref float v in destination) v = 1 + MathF.Abs(v);
        }

        public void Dispose() => inner.Dispose();
    }
}
