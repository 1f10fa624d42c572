using System.Diagnostics;
using System.Globalization;
using SlicerBridge.Inference.Tensors.Cpu;

namespace SlicerBridge.Bench.Tensors;

/// <summary>
/// SGEMM GFLOP/s on the shapes the SAM-Med3D encoder runs (M = 512 tokens), all cores, best of N.
/// The OpenBLAS peer is <c>bench/peers/gemm_numpy.py</c> (NumPy's matmul) on the same shapes.
/// </summary>
public sealed class GemmBench : IBenchCommand
{
    public string Name => "gemm";
    public string Description => "SGEMM GFLOP/s on encoder shapes: gemm [repeats]";

    public static readonly (string Label, int M, int N, int K)[] Shapes =
    [
        ("qkv 512x2304x768", 512, 2304, 768),
        ("mlp1 512x3072x768", 512, 3072, 768),
        ("mlp2 512x768x3072", 512, 768, 3072),
        ("square 1024^3", 1024, 1024, 1024),
    ];

    public int Run(string[] args)
    {
        int repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var rng = new Random(1);
        Console.WriteLine($"threads: {Environment.ProcessorCount}");
        foreach (var (label, m, n, k) in Shapes)
        {
            var a = new float[m * k];
            var w = new float[n * k];
            for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() - 0.5f;
            for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble() - 0.5f;
            var c = new float[m * n];
            using var packed = PackedPanels.FromRowsAsColumns(w, n, k, k);
            double best = double.MaxValue;
            for (int r = 0; r < repeats + 1; r++)
            {
                var sw = Stopwatch.StartNew();
                Sgemm.Multiply(m, a, k, packed, c, n, accumulate: false);
                if (r > 0) best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            Console.WriteLine($"{label,-22} {2.0 * m * n * k / best / 1e9,7:F1} GFLOP/s  ({best * 1e3:F2} ms)");
        }
        return 0;
    }
}
