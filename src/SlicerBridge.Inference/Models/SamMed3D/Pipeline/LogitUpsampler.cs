using System.Buffers;
using System.Runtime.Intrinsics;

namespace SlicerBridge.Inference.Models.SamMed3D.Pipeline;

/// <summary>
/// Low-res logits (32³) to the crop resolution (128³), spec sam-med3d.md §4 step 9: PyTorch
/// <c>F.interpolate(mode='trilinear', align_corners=False)</c> on cubic grids laid out A2 fastest.
/// </summary>
public static class LogitUpsampler
{
    public static void Trilinear(ReadOnlySpan<float> src, int srcSize, Span<float> dst, int dstSize)
    {
        Validate(src, srcSize, dst.Length, dstSize);
        Upsample(src, srcSize, dstSize, dst, null);
    }

    /// <summary>Upsamples, then keeps logit &gt; 0 (sigmoid &gt; 0.5) as 1, A2 fastest; the last pass writes the bytes directly.</summary>
    public static byte[] ThresholdMask(ReadOnlySpan<float> lowRes, int lowResSize, int size)
    {
        int count = size * size * size;
        Validate(lowRes, lowResSize, count, size);
        var mask = new byte[count];
        Upsample(lowRes, lowResSize, size, [], mask);
        return mask;
    }

    private static void Validate(ReadOnlySpan<float> src, int srcSize, int dstLength, int dstSize)
    {
        if (srcSize <= 0 || dstSize <= 0) throw new ArgumentOutOfRangeException(nameof(srcSize), "Grid sizes must be positive.");
        if (src.Length != srcSize * srcSize * srcSize)
            throw new ArgumentException($"Source holds {src.Length} values, a {srcSize}³ grid needs {srcSize * srcSize * srcSize}.", nameof(src));
        if (dstLength != dstSize * dstSize * dstSize)
            throw new ArgumentException($"Destination holds {dstLength} values, a {dstSize}³ grid needs {dstSize * dstSize * dstSize}.", "dst");
    }

    /// <summary>
    /// Separable form of the trilinear formula, one axis at a time (A2, then A1, then A0), with the same products in
    /// the same order as a0·(b0·(c0·x + c1·y) + b1·(…)) + a1·(…), so it equals the direct formula exactly. The last two
    /// passes blend two contiguous rows, which vectorises; the last writes floats to <paramref name="dst"/> or, with
    /// <paramref name="mask"/>, the thresholded bytes.
    /// </summary>
    private static void Upsample(ReadOnlySpan<float> src, int n, int m, Span<float> dst, byte[]? mask)
    {
        AxisTable t = AxisTable.For(n, m);
        var alongA2 = ArrayPool<float>.Shared.Rent(n * n * m);   // [l0][l1][d2]
        var alongA1 = ArrayPool<float>.Shared.Rent(n * m * m);   // [l0][d1][d2]
        try
        {
            for (int r = 0; r < n * n; r++)
            {
                var input = src.Slice(r * n, n);
                var output = alongA2.AsSpan(r * m, m);
                for (int d2 = 0; d2 < m; d2++)
                {
                    float c1 = t.Lambda1[d2], c0 = 1 - c1;
                    output[d2] = c0 * input[t.Low[d2]] + c1 * input[t.High[d2]];
                }
            }
            for (int l0 = 0; l0 < n; l0++)
                for (int d1 = 0; d1 < m; d1++)
                {
                    float b1 = t.Lambda1[d1], b0 = 1 - b1;
                    Blend(alongA2.AsSpan((l0 * n + t.Low[d1]) * m, m), alongA2.AsSpan((l0 * n + t.High[d1]) * m, m), b0, b1,
                        alongA1.AsSpan((l0 * m + d1) * m, m));
                }
            int plane = m * m;
            if (mask is null)
            {
                for (int d0 = 0; d0 < m; d0++)
                {
                    float a1 = t.Lambda1[d0], a0 = 1 - a1;
                    Blend(alongA1.AsSpan(t.Low[d0] * plane, plane), alongA1.AsSpan(t.High[d0] * plane, plane), a0, a1, dst.Slice(d0 * plane, plane));
                }
            }
            else
            {
                Parallel.For(0, m, d0 =>
                {
                    float a1 = t.Lambda1[d0], a0 = 1 - a1;
                    BlendThreshold(alongA1.AsSpan(t.Low[d0] * plane, plane), alongA1.AsSpan(t.High[d0] * plane, plane), a0, a1, mask.AsSpan(d0 * plane, plane));
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(alongA2);
            ArrayPool<float>.Shared.Return(alongA1);
        }
    }

    /// <summary>output = w0·x + w1·y (separate multiply and add, like the scalar formula).</summary>
    private static void Blend(ReadOnlySpan<float> x, ReadOnlySpan<float> y, float w0, float w1, Span<float> output)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var v0 = Vector256.Create(w0);
            var v1 = Vector256.Create(w1);
            for (; i + 8 <= output.Length; i += 8)
                (v0 * Vector256.Create<float>(x.Slice(i, 8)) + v1 * Vector256.Create<float>(y.Slice(i, 8))).CopyTo(output.Slice(i, 8));
        }
        for (; i < output.Length; i++) output[i] = w0 * x[i] + w1 * y[i];
    }

    /// <summary>mask = (w0·x + w1·y &gt; 0) as 0/1 bytes.</summary>
    private static void BlendThreshold(ReadOnlySpan<float> x, ReadOnlySpan<float> y, float w0, float w1, Span<byte> mask)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var v0 = Vector256.Create(w0);
            var v1 = Vector256.Create(w1);
            for (; i + 8 <= mask.Length; i += 8)
            {
                var positive = Vector256.GreaterThan(v0 * Vector256.Create<float>(x.Slice(i, 8)) + v1 * Vector256.Create<float>(y.Slice(i, 8)), Vector256<float>.Zero);
                uint bits = positive.ExtractMostSignificantBits();
                for (int b = 0; b < 8; b++) mask[i + b] = (byte)((bits >> b) & 1);
            }
        }
        for (; i < mask.Length; i++) mask[i] = w0 * x[i] + w1 * y[i] > 0 ? (byte)1 : (byte)0;
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
