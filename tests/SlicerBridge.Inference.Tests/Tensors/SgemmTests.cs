using SlicerBridge.Inference.Tensors.Cpu;
using static SlicerBridge.Inference.Tests.Tensors.TensorTestUtil;

namespace SlicerBridge.Inference.Tests.Tensors;

/// <summary>
/// Sgemm.Multiply against C[i,j] (+)= Σ_p A[i,p]·B[p,j] in double, on seeded random data in [−1, 1].
/// Tolerance |a−b| ≤ 1e-5·(1+max(|ref|, rms(ref))) (float32 accumulation, K ≤ 3072; relative to the magnitude of the
/// result, because a single element can cancel to near zero while its rounding error scales with Σ|A·B|). Padding columns of A and of the packed
/// source are NaN, so reading past K (or past N of a row-major B) poisons the result; every element of C outside
/// the written M×N region (including a tail past the last row) must keep its exact bits.
/// </summary>
public class SgemmTests
{
    public enum Packing { RowsAsColumns, Rows }

    private const double Tol = 1e-5;
    private static readonly int[] Sizes = [1, 5, 6, 7, 15, 16, 17, 95, 96, 97, 255, 256, 257, 300];

    public static TheoryData<int, int, int, Packing, bool> Shapes()
    {
        var data = new TheoryData<int, int, int, Packing, bool>();
        foreach (var p in new[] { Packing.RowsAsColumns, Packing.Rows })
        {
            for (int i = 0; i < Sizes.Length; i++)
            {
                bool strided = i % 2 == 0;
                data.Add(Sizes[i], 17, 257, p, strided);   // M sweep (K crosses the KC = 256 slice)
                data.Add(7, Sizes[i], 33, p, !strided);    // N sweep
                data.Add(13, 20, Sizes[i], p, strided);    // K sweep
            }
            data.Add(1, 1, 1, p, false);
            data.Add(6, 16, 256, p, true);
            data.Add(96, 256, 256, p, false);
            data.Add(97, 257, 300, p, true);
            data.Add(255, 95, 257, p, true);
            data.Add(300, 300, 300, p, true);
            data.Add(17, 15, 513, p, true);                // three K slices
            data.Add(5, 300, 7, p, false);                 // two column chunks (NC = 256)
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesNaiveProduct(int m, int n, int k, Packing packing, bool strided) =>
        RunAndCheck(m, n, k, packing, strided, accumulate: false, parallel: true, seed: 1);

    [Theory]
    [InlineData(7, 17, 33, Packing.RowsAsColumns, true)]
    [InlineData(13, 20, 300, Packing.Rows, true)]
    [InlineData(97, 257, 257, Packing.RowsAsColumns, false)]
    [InlineData(6, 16, 16, Packing.Rows, false)]
    [InlineData(200, 300, 300, Packing.RowsAsColumns, true)]
    public void AccumulateAddsToExistingC(int m, int n, int k, Packing packing, bool strided) =>
        RunAndCheck(m, n, k, packing, strided, accumulate: true, parallel: true, seed: 2);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ParallelAndSerialGiveIdenticalBits(bool accumulate)
    {
        // 2·200·300·300 = 36 MFLOP and 3 row blocks × 2 column chunks: above the parallel threshold.
        var serial = RunAndCheck(200, 300, 300, Packing.RowsAsColumns, strided: true, accumulate, parallel: false, seed: 3);
        var parallel = RunAndCheck(200, 300, 300, Packing.RowsAsColumns, strided: true, accumulate, parallel: true, seed: 3);
        AssertBitwiseEqual(serial, parallel, "parallel vs serial C");
    }

    [Fact]
    public void LargeWeightGemm_MultiTaskParallelPath()
    {
        // 512 × 768 × 768 (a ViT-B Linear): 6 row blocks × 3 column chunks, 3 K slices, run with Parallel.For.
        const int m = 512, n = 768, k = 768;
        var a = Uniform(m * k, 11);
        var w = Uniform(n * k, 12);
        var c = Uniform(m * n, 13);
        var packed = PackedPanels.FromRowsAsColumns(w, n, k, k);
        Sgemm.Multiply(m, a, k, packed, c, n, accumulate: false);

        // Reference on a subset of rows that still touches every row block, its edges, and every strip position.
        var rows = Enumerable.Range(0, m).Where(i => i % 5 == 0 || i % 96 is 0 or 1 or 94 or 95 || i >= m - 3).ToArray();
        var actual = new float[rows.Length * n];
        var expected = new double[rows.Length * n];
        for (int r = 0; r < rows.Length; r++)
        {
            int i = rows[r];
            c.AsSpan(i * n, n).CopyTo(actual.AsSpan(r * n, n));
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * w[j * k + p];
                expected[r * n + j] = sum;
            }
        }
        AssertClose(actual, expected, Tol, "512×768×768", Rms(expected));
    }

    [Theory]
    [InlineData(false, Packing.RowsAsColumns)]
    [InlineData(true, Packing.RowsAsColumns)]
    [InlineData(false, Packing.Rows)]
    [InlineData(true, Packing.Rows)]
    public void ZeroK_ClearsOrLeavesC(bool accumulate, Packing packing)
    {
        const int m = 7, n = 20, ldc = 23;
        var packed = packing == Packing.RowsAsColumns
            ? PackedPanels.FromRowsAsColumns(ReadOnlySpan<float>.Empty, n, 0, 0)
            : PackedPanels.FromRows(ReadOnlySpan<float>.Empty, 0, n, n);
        Assert.Equal(0, packed.K);
        Assert.Equal(n, packed.N);
        var c = Uniform(m * ldc + 5, 21);
        var before = (float[])c.Clone();
        Sgemm.Multiply(m, ReadOnlySpan<float>.Empty, 0, packed, c, ldc, accumulate);
        for (int idx = 0; idx < c.Length; idx++)
        {
            int i = idx / ldc, j = idx % ldc;
            bool inRegion = i < m && j < n;
            float expected = inRegion && !accumulate ? 0f : before[idx];
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(c[idx]),
                $"C[{idx}] (row {i}, col {j}): expected {expected}, got {c[idx]}");
        }
    }

    [Fact]
    public void ZeroM_LeavesCUntouched()
    {
        var packed = PackedPanels.FromRowsAsColumns(Uniform(20 * 9, 22), 20, 9, 9);
        var c = Uniform(40, 23);
        var before = (float[])c.Clone();
        Sgemm.Multiply(0, ReadOnlySpan<float>.Empty, 9, packed, c, 20, accumulate: false);
        AssertBitwiseEqual(before, c, "C after M = 0");
    }

    [Fact]
    public void TooSmallBuffersThrow()
    {
        const int m = 5, n = 17, k = 9;
        var packed = PackedPanels.FromRowsAsColumns(Uniform(n * k, 24), n, k, k);
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(m, new float[(m - 1) * k + k - 1], k, packed, new float[m * n], n, false));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(m, new float[m * k], k, packed, new float[(m - 1) * n + n - 1], n, false));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(m, new float[m * k], k + 1, packed, new float[m * n], n, false));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(m, new float[m * k], k, packed, new float[m * n], n + 1, false));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(15, 33)]
    [InlineData(16, 257)]
    [InlineData(17, 5)]
    public void PackedPanelsLayout(int n, int k)
    {
        // Documented layout: panel p holds columns p·16..p·16+15 as K rows of 16 floats, zero past N.
        int ldw = k + 3, ldb = n + 2;
        var w = Uniform(n * ldw, 25);
        var b = new float[k * ldb];
        for (int kk = 0; kk < k; kk++)
            for (int j = 0; j < n; j++) b[kk * ldb + j] = w[j * ldw + kk];
        var fromW = PackedPanels.FromRowsAsColumns(w, n, k, ldw);
        var fromB = PackedPanels.FromRows(b, k, n, ldb);
        int panels = (n + 15) / 16;
        Assert.Equal(panels, fromW.PanelCount);
        Assert.Equal((long)panels * k * 16 * sizeof(float), fromW.SizeBytes);
        for (int p = 0; p < panels; p++)
            for (int kk = 0; kk < k; kk++)
                for (int jj = 0; jj < 16; jj++)
                {
                    int j = p * 16 + jj;
                    float expected = j < n ? w[j * ldw + kk] : 0f;
                    int at = (p * k + kk) * 16 + jj;
                    Assert.Equal(expected, fromW.Data[at]);
                    Assert.Equal(expected, fromB.Data[at]);
                }
    }

    /// <summary>Runs one GEMM on strided (or tight) random buffers, checks it, and returns the whole C buffer.</summary>
    private static float[] RunAndCheck(int m, int n, int k, Packing packing, bool strided, bool accumulate, bool parallel, int seed)
    {
        int lda = strided ? k + 3 : k, ldc = strided ? n + 5 : n;
        var rng = new Random(seed * 1_000_003 + (m * 1009 + n) * 1013 + k);
        float Next() => (float)(rng.NextDouble() * 2 - 1);

        var a = new float[m * lda];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < lda; p++) a[i * lda + p] = p < k ? Next() : float.NaN;
        var bLogical = new float[k * n];
        for (int i = 0; i < bLogical.Length; i++) bLogical[i] = Next();

        PackedPanels packed;
        if (packing == Packing.RowsAsColumns)
        {
            int ldw = strided ? k + 2 : k;
            var w = new float[n * ldw];
            Array.Fill(w, float.NaN);
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) w[j * ldw + p] = bLogical[p * n + j];
            packed = PackedPanels.FromRowsAsColumns(w, n, k, ldw);
        }
        else
        {
            int ldb = strided ? n + 4 : n;
            var b = new float[k * ldb];
            Array.Fill(b, float.NaN);
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) b[p * ldb + j] = bLogical[p * n + j];
            packed = PackedPanels.FromRows(b, k, n, ldb);
        }
        Assert.Equal(k, packed.K);
        Assert.Equal(n, packed.N);

        var c = new float[m * ldc + 37];
        for (int i = 0; i < c.Length; i++) c[i] = Next() * 4;
        var before = (float[])c.Clone();
        Sgemm.Multiply(m, a, lda, packed, c, ldc, accumulate, parallel);

        var actual = new float[m * n];
        var expected = new double[m * n];
        var rowSum = new double[n];
        for (int i = 0; i < m; i++)
        {
            Array.Clear(rowSum);
            for (int p = 0; p < k; p++)
            {
                double av = a[i * lda + p];
                for (int j = 0; j < n; j++) rowSum[j] += av * bLogical[p * n + j];
            }
            for (int j = 0; j < n; j++)
            {
                expected[i * n + j] = rowSum[j] + (accumulate ? before[i * ldc + j] : 0);
                actual[i * n + j] = c[i * ldc + j];
            }
        }
        string what = $"C of {m}×{n}×{k} ({packing}, {(strided ? "strided" : "tight")}, accumulate {accumulate}, parallel {parallel})";
        AssertClose(actual, expected, Tol, what, Rms(expected));

        int touched = 0;
        for (int idx = 0; idx < c.Length; idx++)
        {
            int i = idx / ldc, j = idx % ldc;
            if (i < m && j < n) continue;
            if (BitConverter.SingleToInt32Bits(before[idx]) != BitConverter.SingleToInt32Bits(c[idx])) touched++;
        }
        Assert.True(touched == 0, $"{what}: {touched} elements outside the M×N region were written.");
        return c;
    }
}
