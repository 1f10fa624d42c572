using SlicerBridge.Inference.Tensors;
using SlicerBridge.Inference.Tensors.Cpu;
using static SlicerBridge.Inference.Tests.Tensors.TensorTestUtil;

namespace SlicerBridge.Inference.Tests.Tensors;

/// <summary>
/// Element-wise and row kernels against their documented definitions in double precision: exact GELU
/// 0.5·x·(1+erf(x/√2)) (erf from a series / continued fraction accurate to ~1e-15), ReLU, LayerNorm with population
/// variance and eps inside the square root, max-shifted softmax, y += x.
/// </summary>
public class ElementwiseTests
{
    /// <summary>The documented GELU accuracy: abs error ≤ 2e-7·max(1, |x|).</summary>
    private static double GeluTol(double x) => 2e-7 * Math.Max(1, Math.Abs(x));

    private static float[] GeluGrid()
    {
        // x ∈ [−10, 10] step 0.001 (20,001 values), plus extremes that stay finite.
        var xs = new List<float>();
        for (int i = -10_000; i <= 10_000; i++) xs.Add((float)(i * 0.001));
        xs.AddRange([20f, -20f, 50f, -50f, 1e4f, -1e4f, 1e10f, -1e10f, 1e30f, -1e30f, float.MaxValue, -float.MaxValue,
                     1e-30f, -1e-30f, float.Epsilon, -float.Epsilon, 0f, -0f, 1e-6f, -1e-6f]);
        return xs.ToArray();
    }

    [Fact]
    public void ErfReference_KnownValues()
    {
        // The reference itself: tabulated values (Abramowitz–Stegun / mpmath) and continuity where it switches method.
        Assert.Equal(0.5204998778130465, Erf(0.5), 1e-15);
        Assert.Equal(0.8427007929497149, Erf(1.0), 1e-15);
        Assert.Equal(0.9953222650189527, Erf(2.0), 1e-15);
        Assert.Equal(-0.9661051464753108, Erf(-1.5), 1e-15);
        Assert.Equal(2.209049699858544e-05, Erfc(3.0), 1e-19);
        Assert.Equal(1.5374597944280349e-12, Erfc(5.0), 1e-25);
        Assert.Equal(2.088487583762545e-45, Erfc(10.0), 1e-57);
        Assert.Equal(ErfSeries(3.0), 1 - ErfcContinuedFraction(3.0), 1e-14);
        Assert.Equal(1 - ErfSeries(4.0), ErfcContinuedFraction(4.0), 1e-14);
        Assert.Equal(0.8413447460685429, Gelu(1.0), 1e-15);
        Assert.Equal(-0.15865525393145707, Gelu(-1.0), 1e-15);
    }

    [Fact]
    public void Gelu_MatchesExactErfForm()
    {
        var xs = GeluGrid();
        var y = (float[])xs.Clone();
        ElementwiseKernels.Gelu(y);   // length 20,021: vector path plus a scalar tail
        AssertGelu(xs, y, "Gelu (span)");
    }

    [Fact]
    public void GeluScalar_MatchesExactErfForm()
    {
        var xs = GeluGrid();
        var y = xs.Select(ElementwiseKernels.GeluScalar).ToArray();
        AssertGelu(xs, y, "GeluScalar");
    }

    private static void AssertGelu(float[] xs, float[] y, string what)
    {
        int failures = 0;
        string first = "";
        for (int i = 0; i < xs.Length; i++)
        {
            double expected = Gelu(xs[i]);
            double err = Math.Abs(y[i] - expected);
            if (!(err <= GeluTol(xs[i])))
            {
                if (failures++ == 0) first = $"x = {xs[i]:R}: got {y[i]:R}, expected {expected:R}";
            }
        }
        Assert.True(failures == 0, $"{what}: {failures} of {xs.Length} values outside 2e-7·max(1,|x|); first {first}.");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(1003)]
    public void Gelu_VectorAndScalarPathsAgree(int length)
    {
        // Gelu over the whole span takes the 8-wide path for the first ⌊n/8⌋·8 values and the scalar path for the
        // tail; one-element spans are always scalar. Both must meet the reference, and each other.
        var xs = Uniform(length, 40 + length, 6);
        var whole = (float[])xs.Clone();
        ElementwiseKernels.Gelu(whole);
        var single = new float[length];
        for (int i = 0; i < length; i++)
        {
            var one = new[] { xs[i] };
            ElementwiseKernels.Gelu(one);
            single[i] = one[0];
            Assert.Equal(ElementwiseKernels.GeluScalar(xs[i]), one[0]);
        }
        for (int i = 0; i < length; i++)
        {
            if (!(Math.Abs(whole[i] - single[i]) <= GeluTol(xs[i]))) Assert.Fail($"x = {xs[i]}: span path {whole[i]}, scalar path {single[i]}");
            if (!(Math.Abs(whole[i] - Gelu(xs[i])) <= GeluTol(xs[i]))) Assert.Fail($"x = {xs[i]}: {whole[i]} vs exact {Gelu(xs[i])}");
        }
    }

    [Fact]
    public void Relu_IsMaxWithZero()
    {
        var xs = Uniform(1001, 50, 5);
        xs[3] = 0f;
        var y = (float[])xs.Clone();
        ElementwiseKernels.Activate(y, Activation.Relu);
        AssertBitwiseEqual(xs.Select(v => v > 0 ? v : 0f).ToArray(), y, "Relu");
    }

    [Fact]
    public void ActivateNone_LeavesValues()
    {
        var xs = Uniform(37, 51, 5);
        var y = (float[])xs.Clone();
        ElementwiseKernels.Activate(y, Activation.None);
        AssertBitwiseEqual(xs, y, "Activation.None");
    }

    [Fact]
    public void Activate_UnknownActivationThrows() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ElementwiseKernels.Activate(new float[3], (Activation)42));

    private static double[] LayerNormReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, double eps)
    {
        int n = x.Length;
        double mean = 0;
        foreach (float v in x) mean += v;
        mean /= n;
        double variance = 0;
        foreach (float v in x) variance += (v - mean) * (v - mean);
        variance /= n;   // population (biased) variance
        double inv = 1 / Math.Sqrt(variance + eps);
        var y = new double[n];
        for (int i = 0; i < n; i++) y[i] = (x[i] - mean) * inv * gamma[i] + beta[i];
        return y;
    }

    [Theory]
    [InlineData(1, 1e-6)]
    [InlineData(7, 1e-5)]
    [InlineData(384, 1e-6)]
    [InlineData(768, 1e-5)]
    [InlineData(3072, 1e-6)]
    public void LayerNormRow_MatchesReference(int n, double eps)
    {
        var x = Uniform(n, 60 + n, 3);
        for (int i = 0; i < n; i++) x[i] += 0.5f;
        var gamma = Uniform(n, 61 + n, 2);
        var beta = Uniform(n, 62 + n, 1);
        var y = new float[n];
        ElementwiseKernels.LayerNormRow(x, gamma, beta, (float)eps, y);
        AssertClose(y, LayerNormReference(x, gamma, beta, (float)eps), 1e-5, $"LayerNormRow n={n}");
    }

    [Fact]
    public void LayerNormRow_EpsIsInsideTheSquareRoot()
    {
        // A near-constant row: σ² = 1e-6 and eps = 1e-2, so eps dominates; eps outside the root would be far off.
        const int n = 64;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i % 2 == 0 ? 1e-3f : -1e-3f;
        var gamma = Enumerable.Repeat(1f, n).ToArray();
        var beta = new float[n];
        var y = new float[n];
        ElementwiseKernels.LayerNormRow(x, gamma, beta, 1e-2f, y);
        AssertClose(y, LayerNormReference(x, gamma, beta, 1e-2f), 1e-5, "LayerNormRow eps");
        Assert.Equal(1e-3 / Math.Sqrt(1e-6 + 1e-2), y[0], 1e-6);
    }

    [Fact]
    public void LayerNormRow_LargeOffsetDoesNotCancel()
    {
        // x = 1e4 + u, u ∈ [−4, 4] (σ ≈ 2.3). float32 represents the inputs to ulp(1e4) ≈ 1e-3 and the mean to about
        // the same, so the normalised output can be off by a few ulp(1e4)/σ ≈ 2e-3 at most; a one-pass
        // E[x²] − E[x]² variance in float32 (ulp(1e8) = 8 ≫ σ² ≈ 5) would be wrong by O(1).
        const int n = 768;
        var noise = Uniform(n, 63, 4);
        var x = noise.Select(u => 1e4f + u).ToArray();
        var gamma = Uniform(n, 64, 1.5);
        var beta = Uniform(n, 65, 1);
        var y = new float[n];
        ElementwiseKernels.LayerNormRow(x, gamma, beta, 1e-6f, y);
        var expected = LayerNormReference(x, gamma, beta, 1e-6f);
        double mean = x.Average(v => (double)v);
        double sigma = Math.Sqrt(x.Average(v => (v - mean) * (v - mean)));
        double ulp = MathF.BitIncrement(1e4f) - 1e4f;
        double tol = 2 * ulp / sigma * 1.5;   // |γ| ≤ 1.5
        for (int i = 0; i < n; i++)
            if (!(Math.Abs(y[i] - expected[i]) <= tol)) Assert.Fail($"[{i}]: got {y[i]}, expected {expected[i]} (tolerance {tol:g3})");
    }

    [Fact]
    public void Backend_LayerNorm_ManyRowsInPlace()
    {
        // 100 × 768 takes the parallel row path; x and y alias.
        const int rows = 100, n = 768;
        var x = Uniform(rows * n, 66, 2);
        var gamma = Uniform(n, 67, 2);
        var beta = Uniform(n, 68, 1);
        var expected = new double[rows * n];
        for (int r = 0; r < rows; r++)
            LayerNormReference(x.AsSpan(r * n, n), gamma, beta, 1e-6f).CopyTo(expected, r * n);
        var t = new Tensor(x, rows, n);
        CpuBackend.Instance.LayerNorm(t, gamma, beta, 1e-6f, t);
        AssertClose(t.Data, expected, 1e-5, "backend LayerNorm in place");
    }

    [Fact]
    public void Backend_LayerNorm_ShapeErrorsThrow()
    {
        var be = CpuBackend.Instance;
        var x = Tensor.Zeros(4, 8);
        Assert.Throws<ArgumentException>(() => be.LayerNorm(x, new float[7], new float[8], 1e-6f, Tensor.Zeros(4, 8)));
        Assert.Throws<ArgumentException>(() => be.LayerNorm(x, new float[8], new float[9], 1e-6f, Tensor.Zeros(4, 8)));
        Assert.Throws<ArgumentException>(() => be.LayerNorm(x, new float[8], new float[8], 1e-6f, Tensor.Zeros(3, 8)));
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(7, 0.0)]
    [InlineData(512, 0.0)]
    [InlineData(1001, 0.0)]
    [InlineData(300, 1000.0)]   // exp(1000) overflows: only a max-shifted softmax survives
    [InlineData(300, -1000.0)]  // exp(−1000) underflows to 0 for every entry
    public void SoftmaxRow_MatchesReferenceAndSumsToOne(int n, double offset)
    {
        var row = Uniform(n, 70 + n, 8).Select(v => (float)(v + offset)).ToArray();
        double max = row.Max();
        var expected = row.Select(v => Math.Exp(v - max)).ToArray();
        double z = expected.Sum();
        for (int i = 0; i < n; i++) expected[i] /= z;

        var actual = (float[])row.Clone();
        ElementwiseKernels.SoftmaxRow(actual);
        double sum = actual.Sum(v => (double)v);
        Assert.True(Math.Abs(sum - 1) <= 1e-5, $"softmax sums to {sum}");
        // Relative error per probability: float32 exp of a shifted logit (|x − max| ≤ 16, so ~1e-6 relative) and 1/Σ.
        for (int i = 0; i < n; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= 1e-5 * expected[i] + 1e-30))
                Assert.Fail($"[{i}] of {n}: got {actual[i]:R}, expected {expected[i]:R}");
    }

    [Fact]
    public void Backend_Add_IsElementwiseSum()
    {
        var x = Uniform(1000, 80, 3);
        var y = Uniform(1000, 81, 3);
        var expected = x.Zip(y, (a, b) => (float)((double)a + b)).ToArray();   // exactly the float32 sum
        var yt = new Tensor(y, 10, 100);
        CpuBackend.Instance.Add(new Tensor(x, 1000, 1), yt);   // only the element count must match
        AssertBitwiseEqual(expected, yt.Data, "Add");
        Assert.Throws<ArgumentException>(() => CpuBackend.Instance.Add(Tensor.Zeros(3, 4), Tensor.Zeros(3, 5)));
    }

    [Theory]
    [InlineData(3, 11)]      // serial row loop
    [InlineData(64, 768)]    // 49,152 elements: parallel rows
    public void Backend_Activate(int rows, int cols)
    {
        var be = CpuBackend.Instance;
        var x = Uniform(rows * cols, 90 + rows, 8);

        var relu = new Tensor((float[])x.Clone(), rows, cols);
        be.Activate(relu, Activation.Relu);
        var reluExpected = x.Select(v => v > 0 ? v : 0f).ToArray();
        AssertBitwiseEqual(reluExpected, relu.Data, "Relu");

        var gelu = new Tensor((float[])x.Clone(), rows, cols);
        be.Activate(gelu, Activation.Gelu);
        for (int i = 0; i < x.Length; i++)
            if (!(Math.Abs(gelu.Data[i] - Gelu(x[i])) <= GeluTol(x[i]))) Assert.Fail($"[{i}] x = {x[i]}: got {gelu.Data[i]}, expected {Gelu(x[i])}");

        var none = new Tensor((float[])x.Clone(), rows, cols);
        be.Activate(none, Activation.None);
        AssertBitwiseEqual(x, none.Data, "Activation.None");
    }
}
