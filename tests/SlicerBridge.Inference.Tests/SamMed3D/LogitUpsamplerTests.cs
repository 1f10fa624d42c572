using SlicerBridge.Inference.Models.SamMed3D.Pipeline;

namespace SlicerBridge.Inference.Tests.SamMed3D;

public class LogitUpsamplerTests
{
    /// <summary>Straight from the formula: src = (dst+0.5)·(n/m) − 0.5, clamped at 0; upper neighbour clamped at n−1.</summary>
    private static float[] NaiveTrilinear(float[] src, int n, int m)
    {
        (int Lo, int Hi, double W) Axis(int d)
        {
            double x = Math.Max((d + 0.5) * n / m - 0.5, 0);
            int lo = (int)Math.Floor(x);
            return (lo, Math.Min(lo + 1, n - 1), x - lo);
        }
        double S(int i, int j, int k) => src[(i * n + j) * n + k];
        var dst = new float[m * m * m];
        for (int d0 = 0; d0 < m; d0++)
            for (int d1 = 0; d1 < m; d1++)
                for (int d2 = 0; d2 < m; d2++)
                {
                    var (i0, i1, wi) = Axis(d0);
                    var (j0, j1, wj) = Axis(d1);
                    var (k0, k1, wk) = Axis(d2);
                    double v = 0;
                    foreach (var (i, fi) in new[] { (i0, 1 - wi), (i1, wi) })
                        foreach (var (j, fj) in new[] { (j0, 1 - wj), (j1, wj) })
                            foreach (var (k, fk) in new[] { (k0, 1 - wk), (k1, wk) })
                                v += fi * fj * fk * S(i, j, k);
                    dst[(d0 * m + d1) * m + d2] = (float)v;
                }
        return dst;
    }

    private static float[] RandomGrid(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n * n * n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [InlineData(8, 32)]
    [InlineData(32, 128)]
    [InlineData(5, 12)]
    public void MatchesTheFormula(int n, int m)
    {
        float[] src = RandomGrid(n, n * 1000 + m);
        var dst = new float[m * m * m];
        LogitUpsampler.Trilinear(src, n, dst, m);
        float[] expected = NaiveTrilinear(src, n, m);
        for (int i = 0; i < dst.Length; i++)
            Assert.True(Math.Abs(dst[i] - expected[i]) <= 1e-5, $"voxel {i}: expected {expected[i]}, got {dst[i]}");
    }

    [Fact]
    public void TwoToFour_KnownValues()
    {
        // Along one axis [a, b] becomes [a, 0.75a + 0.25b, 0.25a + 0.75b, b].
        float[] linear = new float[8];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 2; k++)
                    linear[(i * 2 + j) * 2 + k] = 4 * i + 2 * j + k;
        var dst = new float[64];
        LogitUpsampler.Trilinear(linear, 2, dst, 4);
        Assert.Equal(0f, dst[0]);
        Assert.Equal(4 * 0.25f + 2 * 0.75f + 1, dst[(1 * 4 + 2) * 4 + 3]);
        Assert.Equal(4 * 0.75f + 2 * 0.25f, dst[(2 * 4 + 1) * 4 + 0]);
        Assert.Equal(7f, dst[63]);

        float[] impulse = new float[8];
        impulse[7] = 1; // voxel (1,1,1)
        LogitUpsampler.Trilinear(impulse, 2, dst, 4);
        Assert.Equal(0.25f * 0.75f * 1f, dst[(1 * 4 + 2) * 4 + 3]);
        Assert.Equal(0.75f * 0.75f * 0.25f, dst[(2 * 4 + 2) * 4 + 1]);
        Assert.Equal(0f, dst[(0 * 4 + 3) * 4 + 3]);
        Assert.Equal(1f, dst[63]);
    }

    [Fact]
    public void ThresholdMask_KeepsPositiveUpsampledLogits()
    {
        float[] src = RandomGrid(8, 99);
        src[0] = 0; // exactly zero stays background wherever it dominates
        byte[] mask = LogitUpsampler.ThresholdMask(src, 8, 32);
        var logits = new float[32 * 32 * 32];
        LogitUpsampler.Trilinear(src, 8, logits, 32);
        Assert.Equal(logits.Length, mask.Length);
        for (int i = 0; i < mask.Length; i++) Assert.Equal(logits[i] > 0 ? 1 : 0, mask[i]);
        Assert.Contains((byte)1, mask);
        Assert.Contains((byte)0, mask);
        Assert.Equal(0, LogitUpsampler.ThresholdMask(new float[8], 2, 4)[0]);
    }

    [Fact]
    public void RejectsWrongBufferSizes()
    {
        Assert.Throws<ArgumentException>(() => LogitUpsampler.Trilinear(new float[7], 2, new float[64], 4));
        Assert.Throws<ArgumentException>(() => LogitUpsampler.Trilinear(new float[8], 2, new float[63], 4));
    }
}
