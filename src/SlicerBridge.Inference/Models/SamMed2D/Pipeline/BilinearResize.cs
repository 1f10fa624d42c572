namespace SlicerBridge.Inference.Models.SamMed2D.Pipeline;

/// <summary>
/// PyTorch's bilinear interpolation with align_corners = False and no antialiasing (spec §7.5), in float32 as its CPU
/// kernel computes it: per axis src = max(0, scale·(dst + 0.5) − 0.5) with scale = in/out, λ = src − ⌊src⌋, the
/// upper tap clamped to the edge; columns are blended first, then rows.
/// </summary>
public static class BilinearResize
{
    /// <summary>src [inH][inW] → [outH][outW].</summary>
    public static float[] Resize(ReadOnlySpan<float> src, int inH, int inW, int outH, int outW)
    {
        if (src.Length != inH * inW) throw new ArgumentException($"{inW}×{inH} needs {inH * inW} values, got {src.Length}.");
        var (c0, c1, cw0, cw1) = Taps(inW, outW);
        var (r0, r1, rw0, rw1) = Taps(inH, outH);
        // Column blend of every source row once, then row blends: the same products and sums as the 2-D kernel.
        var rowsBlended = new float[inH * outW];
        for (int y = 0; y < inH; y++)
        {
            var line = src.Slice(y * inW, inW);
            var target = rowsBlended.AsSpan(y * outW, outW);
            for (int x = 0; x < outW; x++) target[x] = line[c0[x]] * cw0[x] + line[c1[x]] * cw1[x];
        }
        var result = new float[outH * outW];
        for (int y = 0; y < outH; y++)
        {
            var top = rowsBlended.AsSpan(r0[y] * outW, outW);
            var bottom = rowsBlended.AsSpan(r1[y] * outW, outW);
            float w0 = rw0[y], w1 = rw1[y];
            var target = result.AsSpan(y * outW, outW);
            for (int x = 0; x < outW; x++) target[x] = top[x] * w0 + bottom[x] * w1;
        }
        return result;
    }

    private static (int[] I0, int[] I1, float[] W0, float[] W1) Taps(int inSize, int outSize)
    {
        float scale = (float)inSize / outSize;
        int[] i0 = new int[outSize], i1 = new int[outSize];
        float[] w0 = new float[outSize], w1 = new float[outSize];
        for (int d = 0; d < outSize; d++)
        {
            float src = scale * (d + 0.5f) - 0.5f;
            if (src < 0) src = 0;
            int lo = (int)src;
            float lambda = src - lo;
            i0[d] = lo;
            i1[d] = lo < inSize - 1 ? lo + 1 : lo;
            w1[d] = lambda;
            w0[d] = 1 - lambda;
        }
        return (i0, i1, w0, w1);
    }
}
