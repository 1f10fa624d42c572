using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Tensors;
using SlicerBridge.Inference.Tensors.Cpu;
using static SlicerBridge.Inference.Tests.Tensors.TensorTestUtil;

namespace SlicerBridge.Inference.Tests.Tensors;

/// <summary>
/// The convolution layouts: Im2Col + Linear with SamWeights.Conv3d weights (PyTorch (out, in, k0, k1, k2), permuted to
/// (out, k0, k1, k2, in)) against a naive channel-last 3-D convolution with zero padding, and Linear with
/// SamWeights.ConvTranspose2 weights + DepthToSpace2 against a naive ConvTranspose3d (kernel 2, stride 2):
/// out[o, 2i+α, 2j+β, 2k+γ] = b[o] + Σ_in x[in, i, j, k]·W[in, o, α, β, γ]. Plus Im2Col and DepthToSpace2
/// checked exactly against their documented index maps.
/// </summary>
public class ConvLayoutTests
{
    /// <summary>A state dict held in memory.</summary>
    private sealed class MemoryCheckpoint(Dictionary<string, (int[] Shape, float[] Data)> tensors) : ICheckpoint
    {
        public string Source => "memory";
        public IReadOnlyList<CheckpointTensorInfo> Tensors =>
            tensors.Select(kv => new CheckpointTensorInfo(kv.Key, CheckpointDType.Float32, kv.Value.Shape)).ToList();
        public bool Contains(string name) => tensors.ContainsKey(name);
        public int[] GetShape(string name) =>
            tensors.TryGetValue(name, out var t) ? t.Shape.ToArray() : throw new CheckpointException($"no tensor '{name}'");
        public void ReadFloat32(string name, Span<float> destination)
        {
            var data = tensors[name].Data;
            Assert.Equal(data.Length, destination.Length);
            data.CopyTo(destination);
        }
        public void Dispose() { }
    }

    private static int OutGrid(int d, int k, int s, int p) => (d + 2 * p - k) / s + 1;

    /// <summary>Naive Conv3d, channel-last input [D³, C] and output [Do³, out], PyTorch weight (out, in, k, k, k).</summary>
    private static double[] NaiveConv3d(float[] x, int d, int c, float[] w, float[]? bias, int outC, int k, int s, int p)
    {
        int g = OutGrid(d, k, s, p);
        var y = new double[g * g * g * outC];
        for (int o0 = 0; o0 < g; o0++)
            for (int o1 = 0; o1 < g; o1++)
                for (int o2 = 0; o2 < g; o2++)
                    for (int oc = 0; oc < outC; oc++)
                    {
                        double sum = bias is null ? 0 : bias[oc];
                        for (int ic = 0; ic < c; ic++)
                            for (int k0 = 0; k0 < k; k0++)
                                for (int k1 = 0; k1 < k; k1++)
                                    for (int k2 = 0; k2 < k; k2++)
                                    {
                                        int i0 = o0 * s + k0 - p, i1 = o1 * s + k1 - p, i2 = o2 * s + k2 - p;
                                        if (i0 < 0 || i1 < 0 || i2 < 0 || i0 >= d || i1 >= d || i2 >= d) continue;
                                        sum += (double)w[(((oc * c + ic) * k + k0) * k + k1) * k + k2] * x[((i0 * d + i1) * d + i2) * c + ic];
                                    }
                        y[((o0 * g + o1) * g + o2) * outC + oc] = sum;
                    }
        return y;
    }

    [Theory]
    [InlineData(8, 3, 1, 1, 5, 7, true)]
    [InlineData(8, 2, 2, 0, 5, 7, true)]
    [InlineData(32, 16, 16, 0, 1, 24, true)]   // the patch embedding geometry, smaller width
    [InlineData(7, 3, 2, 1, 3, 4, false)]      // stride 2 with padding, odd grid; no bias
    [InlineData(4, 2, 1, 3, 2, 3, true)]       // padding > kernel: whole rows and columns of taps outside the grid
    [InlineData(5, 1, 1, 0, 6, 4, false)]      // 1×1×1 (the neck's first conv)
    public void Im2ColThenLinear_EqualsConv3d(int d, int k, int s, int p, int c, int outC, bool withBias)
    {
        var x = Uniform(d * d * d * c, 100 + d * 10 + k, 1);
        var w = Uniform(outC * c * k * k * k, 200 + outC, 1 / Math.Sqrt(c * k * k * k) * 2);
        var bias = withBias ? Uniform(outC, 300 + outC, 1) : null;
        var tensors = new Dictionary<string, (int[], float[])> { ["conv.weight"] = ([outC, c, k, k, k], w) };
        if (bias is not null) tensors["conv.bias"] = ([outC], bias);
        var weights = new SamWeights(new MemoryCheckpoint(tensors), CpuBackend.Instance);
        var linear = weights.Conv3d("conv.weight", bias is null ? null : "conv.bias");

        var be = CpuBackend.Instance;
        int g = OutGrid(d, k, s, p);
        var cols = be.Im2Col(new Tensor(x, d * d * d, c), d, k, s, p);
        Assert.Equal(new[] { g * g * g, k * k * k * c }, cols.Shape);
        var y = Tensor.Zeros(g * g * g, outC);
        be.Linear(cols, linear, y);
        var expected = NaiveConv3d(x, d, c, w, bias, outC, k, s, p);
        AssertClose(y.Data, expected, 1e-5, $"conv D={d} k={k} s={s} p={p} C={c}→{outC}", Rms(expected));
    }

    [Theory]
    [InlineData(8, 3, 1, 1, 5)]
    [InlineData(8, 2, 2, 0, 5)]
    [InlineData(32, 16, 16, 0, 1)]
    [InlineData(7, 3, 2, 1, 3)]
    [InlineData(4, 2, 1, 3, 2)]
    [InlineData(6, 4, 3, 2, 2)]
    public void Im2Col_MatchesIndexMap(int d, int k, int s, int p, int c)
    {
        // Documented: row (o0, o1, o2), column ((k0·k + k1)·k + k2)·C + c = x[o·s + k − p, c], zero outside.
        var x = Uniform(d * d * d * c, 400 + d, 1);
        var cols = CpuBackend.Instance.Im2Col(new Tensor(x, d * d * d, c), d, k, s, p);
        int g = OutGrid(d, k, s, p), rowLength = k * k * k * c;
        Assert.Equal(g * g * g * rowLength, cols.Length);
        var expected = new float[cols.Length];
        for (int o0 = 0; o0 < g; o0++)
            for (int o1 = 0; o1 < g; o1++)
                for (int o2 = 0; o2 < g; o2++)
                    for (int k0 = 0; k0 < k; k0++)
                        for (int k1 = 0; k1 < k; k1++)
                            for (int k2 = 0; k2 < k; k2++)
                                for (int ch = 0; ch < c; ch++)
                                {
                                    int i0 = o0 * s + k0 - p, i1 = o1 * s + k1 - p, i2 = o2 * s + k2 - p;
                                    bool inside = i0 >= 0 && i1 >= 0 && i2 >= 0 && i0 < d && i1 < d && i2 < d;
                                    expected[((o0 * g + o1) * g + o2) * rowLength + ((k0 * k + k1) * k + k2) * c + ch] =
                                        inside ? x[((i0 * d + i1) * d + i2) * c + ch] : 0f;
                                }
        AssertBitwiseEqual(expected, cols.Data, $"Im2Col D={d} k={k} s={s} p={p} C={c}");
    }

    [Theory]
    [InlineData(4, 6, 5)]
    [InlineData(3, 16, 8)]
    [InlineData(2, 3, 1)]
    public void LinearThenDepthToSpace2_EqualsConvTranspose3d(int g, int inC, int outC)
    {
        var x = Uniform(g * g * g * inC, 500 + g, 1);                 // channel-last [G³, in]
        var w = Uniform(inC * outC * 8, 600 + inC, 1);                // PyTorch (in, out, 2, 2, 2)
        var b = Uniform(outC, 700 + outC, 1);
        var ckpt = new MemoryCheckpoint(new() { ["up.weight"] = ([inC, outC, 2, 2, 2], w), ["up.bias"] = ([outC], b) });
        var weights = new SamWeights(ckpt, CpuBackend.Instance);
        var linear = weights.ConvTranspose2("up");
        Assert.Equal(8 * outC, linear.OutFeatures);

        var be = CpuBackend.Instance;
        var y = Tensor.Zeros(g * g * g, 8 * outC);
        be.Linear(new Tensor(x, g * g * g, inC), linear, y);
        var up = be.DepthToSpace2(y, g);
        int g2 = 2 * g;
        Assert.Equal(new[] { g2 * g2 * g2, outC }, up.Shape);

        var expected = new double[g2 * g2 * g2 * outC];
        for (int i = 0; i < g; i++)
            for (int j = 0; j < g; j++)
                for (int k = 0; k < g; k++)
                    for (int al = 0; al < 2; al++)
                        for (int be2 = 0; be2 < 2; be2++)
                            for (int ga = 0; ga < 2; ga++)
                                for (int o = 0; o < outC; o++)
                                {
                                    double sum = b[o];
                                    for (int ic = 0; ic < inC; ic++)
                                        sum += (double)x[((i * g + j) * g + k) * inC + ic] * w[(((ic * outC + o) * 2 + al) * 2 + be2) * 2 + ga];
                                    expected[(((2 * i + al) * g2 + 2 * j + be2) * g2 + 2 * k + ga) * outC + o] = sum;
                                }
        AssertClose(up.Data, expected, 1e-5, $"ConvTranspose3d G={g} {inC}→{outC}", Rms(expected));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(4, 16)]
    public void DepthToSpace2_MatchesIndexMap(int g, int c)
    {
        var x = Uniform(g * g * g * 8 * c, 800 + g, 1);
        var up = CpuBackend.Instance.DepthToSpace2(new Tensor(x, g * g * g, 8 * c), g);
        int g2 = 2 * g;
        var expected = new float[g2 * g2 * g2 * c];
        for (int i = 0; i < g; i++)
            for (int j = 0; j < g; j++)
                for (int k = 0; k < g; k++)
                    for (int al = 0; al < 2; al++)
                        for (int bt = 0; bt < 2; bt++)
                            for (int ga = 0; ga < 2; ga++)
                                for (int ch = 0; ch < c; ch++)
                                    expected[(((2 * i + al) * g2 + 2 * j + bt) * g2 + 2 * k + ga) * c + ch] =
                                        x[((i * g + j) * g + k) * 8 * c + ((al * 2 + bt) * 2 + ga) * c + ch];
        AssertBitwiseEqual(expected, up.Data, $"DepthToSpace2 G={g} C={c}");
    }

    [Fact]
    public void ShapeErrorsThrow()
    {
        var be = CpuBackend.Instance;
        Assert.Throws<ArgumentException>(() => be.Im2Col(Tensor.Zeros(63, 2), 4, 3, 1, 1));
        Assert.Throws<ArgumentException>(() => be.DepthToSpace2(Tensor.Zeros(8, 12), 2));   // 12 not a multiple of 8
        Assert.Throws<ArgumentException>(() => be.DepthToSpace2(Tensor.Zeros(9, 16), 2));   // 9 ≠ 2³
        var ckpt = new MemoryCheckpoint(new() { ["up.weight"] = ([3, 2, 3, 3, 3], new float[3 * 2 * 27]), ["up.bias"] = ([2], new float[2]) });
        Assert.Throws<CheckpointException>(() => new SamWeights(ckpt, be).ConvTranspose2("up"));
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(4, 48)]
    public void DepthToSpace2Dot_EqualsDepthToSpace2ThenADotPerVoxel(int g, int c)
    {
        var rng = new Random(g * 31 + c);
        var x = new float[g * g * g * 8 * c];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var w = new float[c];
        for (int i = 0; i < c; i++) w[i] = (float)(rng.NextDouble() * 2 - 1);
        var be = CpuBackend.Instance;
        var up = be.DepthToSpace2(new Tensor(x, g * g * g, 8 * c), g);
        var fused = new float[8 * g * g * g];
        be.DepthToSpace2Dot(new Tensor(x, g * g * g, 8 * c), g, w, fused);
        for (int v = 0; v < fused.Length; v++)
        {
            double expected = 0;
            for (int ch = 0; ch < c; ch++) expected += (double)up.Data[v * c + ch] * w[ch];
            Assert.True(Math.Abs(expected - fused[v]) <= 1e-5 * (1 + Math.Abs(expected)), $"voxel {v}: {fused[v]} vs {expected}");
        }
        Assert.Throws<ArgumentException>(() => be.DepthToSpace2Dot(new Tensor(x, g * g * g, 8 * c), g, w.AsSpan(1), fused));
    }
}
