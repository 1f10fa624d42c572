using System.Buffers;

namespace SlicerBridge.Inference.Models.SamMed3D.Pipeline;

/// <summary>
/// Low-res logits (32³) to the crop resolution (128³), spec sam-med3d.md §4 step 9: PyTorch
/// <c>F.interpolate(mode='trilinear', align_corners=False)</c> on cubic grids laid out A2 fastest.
/// </summary>
public static class LogitUpsampler
{
    public static unsafe void Trilinear(ReadOnlySpan<float> src, int srcSize, Span<float> dst, int dstSize)
    {
        if (srcSize <= 0 || dstSize <= 0) throw new ArgumentOutOfRangeException(nameof(srcSize), "Grid sizes must be positive.");
        if (src.Length != srcSize * srcSize * srcSize)
            throw new ArgumentException($"Source holds {src.Length} values, a {srcSize}³ grid needs {srcSize * srcSize * srcSize}.", nameof(src));
        if (dst.Length != dstSize * dstSize * dstSize)
            throw new ArgumentException($"Destination holds {dst.Length} values, a {dstSize}³ grid needs {dstSize * dstSize * dstSize}.", nameof(dst));

        AxisTable t = AxisTable.For(srcSize, dstSize);
        int n = srcSize, m = dstSize;
        fixed (float* srcPtr = src, dstPtr = dst)
        {
            // Spans cannot enter the lambda; the buffers stay pinned until Parallel.For returns.
            nint s = (nint)srcPtr, d = (nint)dstPtr;
            Parallel.For(0, m, d0 =>
            {
                float* input = (float*)s, output = (float*)d;
                int l0 = t.Low[d0], h0 = t.High[d0];
                float a1 = t.Lambda1[d0], a0 = 1 - a1;
                for (int d1 = 0; d1 < m; d1++)
                {
                    int l1 = t.Low[d1], h1 = t.High[d1];
                    float b1 = t.Lambda1[d1], b0 = 1 - b1;
                    float* r00 = input + (l0 * n + l1) * n, r01 = input + (l0 * n + h1) * n;
                    float* r10 = input + (h0 * n + l1) * n, r11 = input + (h0 * n + h1) * n;
                    float* row = output + (d0 * m + d1) * m;
                    for (int d2 = 0; d2 < m; d2++)
                    {
                        int l2 = t.Low[d2], h2 = t.High[d2];
                        float c1 = t.Lambda1[d2], c0 = 1 - c1;
                        row[d2] =
                            a0 * (b0 * (c0 * r00[l2] + c1 * r00[h2]) + b1 * (c0 * r01[l2] + c1 * r01[h2])) +
                            a1 * (b0 * (c0 * r10[l2] + c1 * r10[h2]) + b1 * (c0 * r11[l2] + c1 * r11[h2]));
                    }
                }
            });
        }
    }

    /// <summary>Upsamples, then keeps logit &gt; 0 (sigmoid &gt; 0.5) as 1, A2 fastest.</summary>
    public static byte[] ThresholdMask(ReadOnlySpan<float> lowRes, int lowResSize, int size)
    {
        int count = size * size * size;
        float[] logits = ArrayPool<float>.Shared.Rent(count);
        try
        {
            Trilinear(lowRes, lowResSize, logits.AsSpan(0, count), size);
            var mask = new byte[count];
            for (int i = 0; i < count; i++) mask[i] = logits[i] > 0 ? (byte)1 : (byte)0;
            return mask;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(logits);
        }
    }

    /// <summary>Per output index along one axis: lower and upper source index and the upper weight (PyTorch, in float).</summary>
    private sealed record AxisTable(int[] Low, int[] High, float[] Lambda1)
    {
        public static AxisTable For(int srcSize, int dstSize)
        {
            var low = new int[dstSize];
            var high = new int[dstSize];
            var lambda1 = new float[dstSize];
            float scale = (float)srcSize / dstSize;
            for (int i = 0; i < dstSize; i++)
            {
                float real = Math.Max(scale * (i + 0.5f) - 0.5f, 0f);
                int lo = Math.Min((int)real, srcSize - 1);
                low[i] = lo;
                high[i] = lo < srcSize - 1 ? lo + 1 : lo;
                lambda1[i] = Math.Clamp(real - lo, 0f, 1f);
            }
            return new AxisTable(low, high, lambda1);
        }
    }
}
