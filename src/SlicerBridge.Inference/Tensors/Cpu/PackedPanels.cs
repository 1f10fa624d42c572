using System.Buffers;

namespace SlicerBridge.Inference.Tensors.Cpu;

/// <summary>
/// The right-hand matrix B (K × N) of a GEMM packed into column panels of <see cref="Sgemm.NR"/> columns:
/// panel p holds columns p·NR .. p·NR+NR−1 as K rows of NR contiguous floats (zero-padded past N), so the
/// micro-kernel streams it linearly. Weights are packed once at load; attention operands per call into a pooled buffer.
/// </summary>
public sealed class PackedPanels : IDisposable
{
    private readonly bool _pooled;

    private PackedPanels(float[] data, int k, int n, bool pooled)
    {
        Data = data; K = k; N = n; _pooled = pooled;
    }

    public float[] Data { get; private set; }
    public int K { get; }
    public int N { get; }
    public int PanelCount => (N + Sgemm.NR - 1) / Sgemm.NR;
    public long SizeBytes => (long)PanelCount * K * Sgemm.NR * sizeof(float);

    private static float[] Allocate(int k, int n, bool pooled)
    {
        int length = checked((n + Sgemm.NR - 1) / Sgemm.NR * Sgemm.NR * k);
        return pooled ? ArrayPool<float>.Shared.Rent(length) : new float[length];
    }

    /// <summary>B = Wᵀ where W is N × K row-major with row stride <paramref name="ldw"/> (a Linear weight, or keys for q·kᵀ).</summary>
    public static PackedPanels FromRowsAsColumns(ReadOnlySpan<float> w, int n, int k, int ldw, bool pooled = false)
    {
        var data = Allocate(k, n, pooled);
        int nr = Sgemm.NR;
        for (int p = 0; p * nr < n; p++)
        {
            var panel = data.AsSpan(p * nr * k, nr * k);
            int cols = Math.Min(nr, n - p * nr);
            for (int j = 0; j < cols; j++)
            {
                var row = w.Slice((p * nr + j) * ldw, k);
                for (int kk = 0; kk < k; kk++) panel[kk * nr + j] = row[kk];
            }
            for (int j = cols; j < nr; j++)
                for (int kk = 0; kk < k; kk++) panel[kk * nr + j] = 0;
        }
        return new PackedPanels(data, k, n, pooled);
    }

    /// <summary>B given as K × N row-major with row stride <paramref name="ldb"/> (values for attention·v).</summary>
    public static PackedPanels FromRows(ReadOnlySpan<float> b, int k, int n, int ldb, bool pooled = false)
    {
        var data = Allocate(k, n, pooled);
        int nr = Sgemm.NR;
        for (int p = 0; p * nr < n; p++)
        {
            var panel = data.AsSpan(p * nr * k, nr * k);
            int cols = Math.Min(nr, n - p * nr);
            for (int kk = 0; kk < k; kk++)
            {
                var dst = panel.Slice(kk * nr, nr);
                b.Slice(kk * ldb + p * nr, cols).CopyTo(dst);
                dst[cols..].Clear();
            }
        }
        return new PackedPanels(data, k, n, pooled);
    }

    public void Dispose()
    {
        if (_pooled && Data.Length > 0) ArrayPool<float>.Shared.Return(Data);
        Data = [];
    }
}
