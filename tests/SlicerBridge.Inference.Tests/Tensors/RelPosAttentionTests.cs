using SlicerBridge.Inference.Tensors;
using SlicerBridge.Inference.Tensors.Cpu;
using static SlicerBridge.Inference.Tests.Tensors.TensorTestUtil;

namespace SlicerBridge.Inference.Tests.Tensors;

/// <summary>
/// CpuBackend.RelPosAttention against a naive reference written the way the released PyTorch code computes it
/// (spec sam-med3d.md §2.1–2.2): the G³ grid is zero-padded to a full S³ window whose padded positions have
/// q = k = v = the qkv bias slices, every real query attends to all S³ keys with no masking, and the decomposed
/// relative-position term has the released broadcast quirk:
/// logit = ⟨q(a,b,c),k(d,e,f)⟩/√hd + ⟨q(a,b,c),TD[a−f]⟩ + ⟨q(a,b,d),TH[b−f]⟩ + ⟨q(a,b,e),TW[e−f]⟩.
/// The kernel instead folds the padded keys into a closed form; both must agree to 1e-5·(1+|ref|).
/// </summary>
public class RelPosAttentionTests
{
    private const double Tol = 1e-5;

    private sealed record Case(int Grid, int Window, int Heads, int HeadDim, float[] Qkv, RelPosAttentionSpec Spec);

    private static Case MakeCase(int grid, int window, int heads, int headDim, int seed, double scale = 2.0)
    {
        int t = grid * grid * grid, c = heads * headDim, span = 2 * window - 1;
        var spec = new RelPosAttentionSpec
        {
            Grid = grid,
            Window = window,
            Heads = heads,
            HeadDim = headDim,
            RelPosD = Uniform(span * headDim, seed + 1, scale),
            RelPosH = Uniform(span * headDim, seed + 2, scale),
            RelPosW = Uniform(span * headDim, seed + 3, scale),
            QkvBias = Uniform(3 * c, seed + 4, scale),
        };
        return new Case(grid, window, heads, headDim, Uniform(t * 3 * c, seed, scale), spec);
    }

    private static float[] RunKernel(Case k)
    {
        int t = k.Grid * k.Grid * k.Grid, c = k.Heads * k.HeadDim;
        var output = new Tensor(Uniform(t * c, 999, 50), t, c);   // garbage: every element must be overwritten
        CpuBackend.Instance.RelPosAttention(new Tensor(k.Qkv, t, 3 * c), k.Spec, output);
        return output.Data;
    }

    private enum Formula { Released, IntendedMViTv2, ReleasedRealKeysOnly }

    /// <summary>
    /// The naive reference over the full padded S³ window. <see cref="Formula.Released"/> is what the checkpoint was
    /// trained with; <see cref="Formula.IntendedMViTv2"/> is TD[a−d]+TH[b−e]+TW[c−f] with q(a,b,c);
    /// <see cref="Formula.ReleasedRealKeysOnly"/> drops the padded keys (as if they were masked).
    /// </summary>
    private static double[] Reference(Case k, Formula formula = Formula.Released)
    {
        int g = k.Grid, s = k.Window, heads = k.Heads, hd = k.HeadDim;
        int t = g * g * g, c = heads * hd, ld = 3 * c;
        var spec = k.Spec;
        double scale = 1 / Math.Sqrt(hd);
        var output = new double[t * c];
        int keys = s * s * s;
        var logits = new double[keys];

        // The padded window: q, k, v (part 0, 1, 2) at every window position (x, y, z) ∈ [0,S)³, channel h·hd + i —
        // the real token's qkv row, or the bias slice when any coordinate is ≥ G.
        var window = new double[3][];
        for (int part = 0; part < 3; part++)
        {
            window[part] = new double[keys * c];
            for (int x = 0; x < s; x++)
                for (int y = 0; y < s; y++)
                    for (int z = 0; z < s; z++)
                        for (int ch = 0; ch < c; ch++)
                            window[part][((x * s + y) * s + z) * c + ch] = x < g && y < g && z < g
                                ? k.Qkv[((x * g + y) * g + z) * ld + part * c + ch]
                                : spec.QkvBias[part * c + ch];
        }
        double Vec(int part, int h, int x, int y, int z, int i) => window[part][((x * s + y) * s + z) * c + h * hd + i];
        double DotQ(int h, int x, int y, int z, float[] table, int delta)
        {
            if (delta <= -s || delta >= s) throw new InvalidOperationException($"relative offset {delta} outside the table");
            double sum = 0;
            for (int i = 0; i < hd; i++) sum += Vec(0, h, x, y, z, i) * table[(delta + s - 1) * hd + i];
            return sum;
        }

        for (int h = 0; h < heads; h++)
            for (int a = 0; a < g; a++)
                for (int b = 0; b < g; b++)
                    for (int cc = 0; cc < g; cc++)
                    {
                        double max = double.NegativeInfinity;
                        for (int d = 0; d < s; d++)
                            for (int e = 0; e < s; e++)
                                for (int f = 0; f < s; f++)
                                {
                                    int key = (d * s + e) * s + f;
                                    bool realKey = d < g && e < g && f < g;
                                    if (formula == Formula.ReleasedRealKeysOnly && !realKey) { logits[key] = double.NegativeInfinity; continue; }
                                    double qk = 0;
                                    for (int i = 0; i < hd; i++) qk += Vec(0, h, a, b, cc, i) * Vec(1, h, d, e, f, i);
                                    double rel = formula == Formula.IntendedMViTv2
                                        ? DotQ(h, a, b, cc, spec.RelPosD, a - d) + DotQ(h, a, b, cc, spec.RelPosH, b - e) + DotQ(h, a, b, cc, spec.RelPosW, cc - f)
                                        : DotQ(h, a, b, cc, spec.RelPosD, a - f) + DotQ(h, a, b, d, spec.RelPosH, b - f) + DotQ(h, a, b, e, spec.RelPosW, e - f);
                                    logits[key] = scale * qk + rel;
                                    max = Math.Max(max, logits[key]);
                                }
                        double z = 0;
                        for (int key = 0; key < keys; key++) { logits[key] = Math.Exp(logits[key] - max); z += logits[key]; }
                        int query = (a * g + b) * g + cc;
                        for (int key = 0; key < keys; key++)
                        {
                            double p = logits[key] / z;
                            if (p == 0) continue;
                            int d = key / (s * s), e = key / s % s, f = key % s;
                            for (int i = 0; i < hd; i++) output[query * c + h * hd + i] += p * Vec(2, h, d, e, f, i);
                        }
                    }
        return output;
    }

    [Theory]
    [InlineData(4, 7, 3, 8, 100)]   // windowed: 4³ grid padded to a 7³ window
    [InlineData(4, 7, 3, 8, 200)]
    [InlineData(4, 4, 3, 8, 300)]   // global: S = G, no padding
    [InlineData(4, 4, 3, 8, 400)]
    [InlineData(3, 5, 2, 16, 500)]  // odd sizes: G = 3, S = 5
    [InlineData(4, 5, 1, 24, 600)]  // window just one past the grid; head dim 24 (GEMM edge panel)
    public void MatchesPaddedWindowReference(int grid, int window, int heads, int headDim, int seed)
    {
        var k = MakeCase(grid, window, heads, headDim, seed);
        AssertClose(RunKernel(k), Reference(k), Tol, $"RelPosAttention G={grid} S={window} {heads}×{headDim}");
    }

    [Fact]
    public void MatchesPaddedWindowReference_Grid8Window14()
    {
        // The real windowed-block geometry (8³ padded to 14³; 2,232 padded keys per query), smaller heads.
        var k = MakeCase(8, 14, 2, 16, 700, scale: 1.0);
        AssertClose(RunKernel(k), Reference(k), Tol, "RelPosAttention G=8 S=14 2×16");
    }

    [Fact]
    public void LargeLogits_StayFinite()
    {
        // Scale 4: logits in the hundreds, so the closed form must be max-shifted like the real-key softmax.
        var k = MakeCase(4, 7, 2, 8, 800, scale: 4.0);
        var actual = RunKernel(k);
        Assert.All(actual, v => Assert.True(float.IsFinite(v)));
        AssertClose(actual, Reference(k), 1e-4, "RelPosAttention scale 4");
    }

    [Theory]
    [InlineData(4, 7)]
    [InlineData(4, 4)]
    public void TheReleasedQuirkMatters(int grid, int window)
    {
        // If someone "fixes" the kernel to the intended MViTv2 decomposition, MatchesPaddedWindowReference fails;
        // this guards that the two formulas really are far apart on the test data.
        var k = MakeCase(grid, window, 3, 8, 900);
        var actual = RunKernel(k);
        AssertClose(actual, Reference(k, Formula.Released), Tol, "released formula");
        double diff = MaxAbsDiff(actual, Reference(k, Formula.IntendedMViTv2));
        Assert.True(diff > 0.5, $"The released and intended relative-position formulas differ by only {diff} on this data.");
    }

    [Fact]
    public void ThePaddedKeysMatter()
    {
        // Masking the padded keys (or dropping them) must be detectable: they carry a large share of the softmax weight.
        var k = MakeCase(4, 7, 3, 8, 1000);
        double diff = MaxAbsDiff(RunKernel(k), Reference(k, Formula.ReleasedRealKeysOnly));
        Assert.True(diff > 0.1, $"Dropping the padded keys changes the output by only {diff}.");
    }

    [Fact]
    public void ShapeErrorsThrow()
    {
        var k = MakeCase(4, 7, 3, 8, 1100);
        var be = CpuBackend.Instance;
        int t = 64, c = 24;
        var qkv = new Tensor(k.Qkv, t, 3 * c);
        Assert.Throws<ArgumentException>(() => be.RelPosAttention(new Tensor(new float[(t - 1) * 3 * c], t - 1, 3 * c), k.Spec, Tensor.Zeros(t, c)));
        Assert.Throws<ArgumentException>(() => be.RelPosAttention(new Tensor(new float[t * 3 * (c + 1)], t, 3 * (c + 1)), k.Spec, Tensor.Zeros(t, c)));
        Assert.Throws<ArgumentException>(() => be.RelPosAttention(qkv, k.Spec, Tensor.Zeros(t, c + 1)));
        Assert.Throws<ArgumentException>(() => be.RelPosAttention(qkv, k.Spec, Tensor.Zeros(t - 1, c)));

        RelPosAttentionSpec With(int window, int tableRows, int dRows = -1) => new()
        {
            Grid = 4, Window = window, Heads = 3, HeadDim = 8,
            RelPosD = new float[(dRows < 0 ? tableRows : dRows) * 8],
            RelPosH = new float[tableRows * 8],
            RelPosW = new float[tableRows * 8],
            QkvBias = k.Spec.QkvBias,
        };
        Assert.Throws<ArgumentException>(() => be.RelPosAttention(qkv, With(3, 5), Tensor.Zeros(t, c)));      // window < grid
        Assert.Throws<ArgumentException>(() => be.RelPosAttention(qkv, With(7, 12), Tensor.Zeros(t, c)));     // tables not 2S−1 rows
        Assert.Throws<ArgumentException>(() => be.RelPosAttention(qkv, With(7, 13, 12), Tensor.Zeros(t, c))); // D table alone wrong
        be.RelPosAttention(qkv, With(7, 13), Tensor.Zeros(t, c));                                            // and the right shapes pass
    }
}
