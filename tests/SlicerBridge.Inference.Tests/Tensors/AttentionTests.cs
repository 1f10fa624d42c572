using SlicerBridge.Inference.Tensors;
using SlicerBridge.Inference.Tensors.Cpu;
using static SlicerBridge.Inference.Tests.Tensors.TensorTestUtil;

namespace SlicerBridge.Inference.Tests.Tensors;

/// <summary>
/// CpuBackend.Attention against naive multi-head softmax(q kᵀ/√d) v in double, head h on columns h·d..h·d+d−1.
/// Tolerance 1e-5·(1+|ref|) (outputs are convex combinations of v ∈ [−1, 1]).
/// </summary>
public class AttentionTests
{
    private static double[] Reference(float[] q, float[] k, float[] v, int nq, int nk, int heads, int d)
    {
        int dim = heads * d;
        var output = new double[nq * dim];
        var p = new double[nk];
        double scale = 1 / Math.Sqrt(d);
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < nq; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < nk; j++)
                {
                    double dot = 0;
                    for (int t = 0; t < d; t++) dot += (double)q[i * dim + h * d + t] * k[j * dim + h * d + t];
                    p[j] = dot * scale;
                    max = Math.Max(max, p[j]);
                }
                double z = 0;
                for (int j = 0; j < nk; j++) { p[j] = Math.Exp(p[j] - max); z += p[j]; }
                for (int j = 0; j < nk; j++)
                    for (int t = 0; t < d; t++) output[i * dim + h * d + t] += p[j] / z * v[j * dim + h * d + t];
            }
        return output;
    }

    [Theory]
    [InlineData(7, 512, 8, 64)]    // few queries, many keys
    [InlineData(512, 7, 8, 64)]    // many queries, few keys
    [InlineData(5, 9, 2, 8)]       // tiny: serial over heads
    [InlineData(3, 1, 4, 16)]      // one key: output = v
    [InlineData(33, 40, 3, 24)]    // head dim not a multiple of 16
    [InlineData(256, 300, 4, 32)]  // ≥ 200k per head: heads in parallel, multi-block GEMMs
    public void MatchesNaiveAttention(int nq, int nk, int heads, int d)
    {
        int dim = heads * d;
        var q = Uniform(nq * dim, 10 + nq, 2);
        var k = Uniform(nk * dim, 20 + nk, 2);
        var v = Uniform(nk * dim, 30 + nk, 1);
        var output = new Tensor(Uniform(nq * dim, 40, 100), nq, dim);   // garbage: must be overwritten
        CpuBackend.Instance.Attention(new Tensor(q, nq, dim), new Tensor(k, nk, dim), new Tensor(v, nk, dim), heads, output);
        AssertClose(output.Data, Reference(q, k, v, nq, nk, heads, d), 1e-5, $"Attention {nq}×{nk}, {heads}×{d}");
    }

    [Fact]
    public void HeadsAreIndependent()
    {
        // Swapping the heads split (2×32 vs 4×16) must change the result: the per-head scale and softmax are visible.
        const int nq = 9, nk = 11, dim = 64;
        var q = Uniform(nq * dim, 50, 2);
        var k = Uniform(nk * dim, 51, 2);
        var v = Uniform(nk * dim, 52, 1);
        var two = Tensor.Zeros(nq, dim);
        var four = Tensor.Zeros(nq, dim);
        CpuBackend.Instance.Attention(new Tensor(q, nq, dim), new Tensor(k, nk, dim), new Tensor(v, nk, dim), 2, two);
        CpuBackend.Instance.Attention(new Tensor(q, nq, dim), new Tensor(k, nk, dim), new Tensor(v, nk, dim), 4, four);
        AssertClose(four.Data, Reference(q, k, v, nq, nk, 4, 16), 1e-5, "4 heads");
        Assert.True(MaxAbsDiff(two.Data, Reference(q, k, v, nq, nk, 4, 16)) > 0.05, "2-head and 4-head attention agree on random data");
    }

    [Fact]
    public void ShapeErrorsThrow()
    {
        var be = CpuBackend.Instance;
        Tensor Z(int r, int c) => Tensor.Zeros(r, c);
        Assert.Throws<ArgumentException>(() => be.Attention(Z(3, 10), Z(4, 10), Z(4, 10), 3, Z(3, 10)));   // 10 % 3 ≠ 0
        Assert.Throws<ArgumentException>(() => be.Attention(Z(3, 12), Z(4, 8), Z(4, 12), 2, Z(3, 12)));    // k width
        Assert.Throws<ArgumentException>(() => be.Attention(Z(3, 12), Z(4, 12), Z(4, 8), 2, Z(3, 12)));    // v width
        Assert.Throws<ArgumentException>(() => be.Attention(Z(3, 12), Z(4, 12), Z(5, 12), 2, Z(3, 12)));   // v rows
        Assert.Throws<ArgumentException>(() => be.Attention(Z(3, 12), Z(4, 12), Z(4, 12), 2, Z(4, 12)));   // output rows
        Assert.Throws<ArgumentException>(() => be.Attention(Z(3, 12), Z(4, 12), Z(4, 12), 2, Z(3, 6)));    // output width
        be.Attention(Z(3, 12), Z(4, 12), Z(4, 12), 2, Z(3, 12));                                          // the right shapes pass
    }
}
