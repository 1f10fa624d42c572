using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace SlicerBridge.Inference.Tensors.Cpu;

/// <summary>Attention on the CPU: one GEMM for q·kᵀ and one for p·v per head, heads in parallel.</summary>
public static class AttentionKernels
{
    public static void MultiHead(Tensor q, Tensor k, Tensor v, int heads, Tensor output)
    {
        int dim = q.Columns, nq = q.Rows, nk = k.Rows;
        if (dim % heads != 0 || k.Columns != dim || v.Columns != dim || v.Rows != nk || output.Rows != nq || output.Columns != dim)
            throw new ArgumentException($"Attention shapes do not agree: q {q}, k {k}, v {v}, output {output}, {heads} heads.");
        int d = dim / heads;
        float scale = 1f / MathF.Sqrt(d);
        void Head(int h)
        {
            float[] logits = ArrayPool<float>.Shared.Rent(nq * nk);
            try
            {
                using (var packedK = PackedPanels.FromRowsAsColumns(k.Data.AsSpan(h * d), nk, d, dim, pooled: true))
                    Sgemm.Multiply(nq, q.Data.AsSpan(h * d), dim, packedK, logits, nk, accumulate: false, parallel: false);
                TensorPrimitives.Multiply(logits.AsSpan(0, nq * nk), scale, logits.AsSpan(0, nq * nk));
                for (int r = 0; r < nq; r++) ElementwiseKernels.SoftmaxRow(logits.AsSpan(r * nk, nk));
                using var packedV = PackedPanels.FromRows(v.Data.AsSpan(h * d), nk, d, dim, pooled: true);
                Sgemm.Multiply(nq, logits, nk, packedV, output.Data.AsSpan(h * d), dim, accumulate: false, parallel: false);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(logits);
            }
        }
        if ((long)nq * nk * d < 200_000) for (int h = 0; h < heads; h++) Head(h);
        else Parallel.For(0, heads, Head);
    }

    /// <summary>
    /// SAM-Med3D encoder attention (spec §2.1–2.2). For a real query at (a,b,c) and a window key at (d,e,f):
    /// logit = ⟨q(a,b,c), k(d,e,f)⟩/√hd + ⟨q(a,b,c), TD[a−f]⟩ + ⟨q(a,b,d), TH[b−f]⟩ + ⟨q(a,b,e), TW[e−f]⟩.
    /// Quirk (released add_decomposed_rel_pos): every per-axis term is indexed by the key's last coordinate f, and the
    /// H and W terms use the q of another query position; the checkpoint was trained with it, so it is reproduced.
    /// Padded window positions (any coordinate ≥ G) have q = k = v = the qkv bias, so their q·k term is the same for
    /// every padded key and their values are all v_bias: their total softmax weight has a closed form (sums of
    /// exponentials that factor over d, e and f), and only the G³ real keys go through the GEMMs.
    /// </summary>
    public static void RelPos(Tensor qkv, RelPosAttentionSpec s, Tensor output)
    {
        int g = s.Grid, win = s.Window, heads = s.Heads, hd = s.HeadDim;
        int t = g * g * g, c = heads * hd, ld = 3 * c, span = 2 * win - 1;
        if (qkv.Rows != t || qkv.Columns != ld || output.Rows != t || output.Columns != c)
            throw new ArgumentException($"RelPosAttention: qkv {qkv} / output {output} do not match grid {g}, {heads}×{hd}.");
        if (win < g) throw new ArgumentException($"Window {win} smaller than the grid {g} (several windows) is not supported by this model family.");
        if (s.RelPosD.Length != span * hd || s.RelPosH.Length != span * hd || s.RelPosW.Length != span * hd)
            throw new ArgumentException($"Relative-position tables must be {span}×{hd}.");
        float scale = 1f / MathF.Sqrt(hd);
        Parallel.For(0, heads, h => RelPosHead(qkv.Data, s, output.Data, h, g, win, hd, t, c, ld, scale));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RelPosHead(float[] qkv, RelPosAttentionSpec s, float[] output, int h, int g, int win, int hd, int t, int c, int ld, float scale)
    {
        int qOff = h * hd, kOff = c + h * hd, vOff = 2 * c + h * hd;
        var kBias = s.QkvBias.AsSpan(kOff, hd);
        var vBias = s.QkvBias.AsSpan(vOff, hd);
        bool padded = win > g;
        float[] logits = ArrayPool<float>.Shared.Rent(t * t);
        float[] relA = ArrayPool<float>.Shared.Rent(t * win);          // A[t][f]
        float[] relB = ArrayPool<float>.Shared.Rent(win * win);        // B[x][f] for one (a,b)
        float[] relC = ArrayPool<float>.Shared.Rent(win * win);        // C[x][f] for one (a,b)
        float[] relBC = ArrayPool<float>.Shared.Rent(t);               // B[d][f] + C[e][f] over real keys, one (a,b)
        float[] padWeight = ArrayPool<float>.Shared.Rent(t);
        double[] padFactor = new double[win];
        try
        {
            using (var packedK = PackedPanels.FromRowsAsColumns(qkv.AsSpan(kOff), t, hd, ld, pooled: true))
                Sgemm.Multiply(t, qkv.AsSpan(qOff), ld, packedK, logits, t, accumulate: false, parallel: false);

            ReadOnlySpan<float> Q(int token) => qkv.AsSpan(token * ld + qOff, hd);
            // q at window position (a,b,x): real token, or the bias for a padded position.
            ReadOnlySpan<float> QAt(int a, int b, int x) => x < g ? Q((a * g + b) * g + x) : s.QkvBias.AsSpan(qOff, hd);
            ReadOnlySpan<float> Table(float[] table, int delta) => table.AsSpan((delta + win - 1) * hd, hd);

            for (int a = 0; a < g; a++)
                for (int b = 0; b < g; b++)
                {
                    for (int x = 0; x < win; x++)
                    {
                        var qx = QAt(a, b, x);
                        for (int f = 0; f < win; f++)
                        {
                            relB[x * win + f] = TensorPrimitives.Dot(qx, Table(s.RelPosH, b - f));
                            relC[x * win + f] = TensorPrimitives.Dot(qx, Table(s.RelPosW, x - f));
                        }
                    }
                    for (int d = 0; d < g; d++)
                        for (int e = 0; e < g; e++)
                            TensorPrimitives.Add(relB.AsSpan(d * win, g), relC.AsSpan(e * win, g), relBC.AsSpan((d * g + e) * g, g));

                    double maxB = 0, maxC = 0;
                    if (padded)
                    {
                        maxB = TensorPrimitives.Max(relB.AsSpan(0, win * win));
                        maxC = TensorPrimitives.Max(relC.AsSpan(0, win * win));
                        // Per key coordinate f: total weight of the padded (d,e) pairs, factored as sums over d and e.
                        for (int f = 0; f < win; f++)
                        {
                            double bReal = 0, bPad = 0, cReal = 0, cPad = 0;
                            for (int x = 0; x < win; x++)
                            {
                                double eb = Math.Exp(relB[x * win + f] - maxB), ec = Math.Exp(relC[x * win + f] - maxC);
                                if (x < g) { bReal += eb; cReal += ec; } else { bPad += eb; cPad += ec; }
                            }
                            padFactor[f] = f < g
                                ? bReal * cPad + bPad * cReal + bPad * cPad   // (d,e) not both real
                                : (bReal + bPad) * (cReal + cPad);            // f itself is padded: every (d,e)
                        }
                    }

                    for (int cc = 0; cc < g; cc++)
                    {
                        int query = (a * g + b) * g + cc;
                        var qv = Q(query);
                        var rowA = relA.AsSpan(query * win, win);
                        for (int f = 0; f < win; f++) rowA[f] = TensorPrimitives.Dot(qv, Table(s.RelPosD, a - f));

                        var row = logits.AsSpan(query * t, t);
                        TensorPrimitives.MultiplyAdd(row, scale, relBC.AsSpan(0, t), row);
                        var headA = rowA[..g];
                        for (int u = 0; u < t; u += g) TensorPrimitives.Add(row.Slice(u, g), headA, row.Slice(u, g));

                        float rowMax = TensorPrimitives.Max(row);
                        double padLog = double.NegativeInfinity;
                        if (padded)
                        {
                            double maxA = TensorPrimitives.Max(rowA);
                            double sum = 0;
                            for (int f = 0; f < win; f++) sum += Math.Exp(rowA[f] - maxA) * padFactor[f];
                            padLog = scale * TensorPrimitives.Dot(qv, kBias) + maxA + maxB + maxC + Math.Log(sum);
                        }
                        double m = Math.Max(rowMax, padLog);
                        TensorPrimitives.Subtract(row, (float)m, row);
                        ElementwiseKernels.Exp(row);
                        double padExp = padded ? Math.Exp(padLog - m) : 0;
                        double z = TensorPrimitives.Sum(row) + padExp;
                        TensorPrimitives.Multiply(row, (float)(1 / z), row);
                        padWeight[query] = (float)(padExp / z);
                    }
                }

            using (var packedV = PackedPanels.FromRows(qkv.AsSpan(vOff), t, hd, ld, pooled: true))
                Sgemm.Multiply(t, logits, t, packedV, output.AsSpan(h * hd), c, accumulate: false, parallel: false);
            if (padded)
                for (int query = 0; query < t; query++)
                {
                    var o = output.AsSpan(query * c + h * hd, hd);
                    TensorPrimitives.MultiplyAdd(vBias, padWeight[query], o, o);
                }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(logits);
            ArrayPool<float>.Shared.Return(relA);
            ArrayPool<float>.Shared.Return(relB);
            ArrayPool<float>.Shared.Return(relC);
            ArrayPool<float>.Shared.Return(relBC);
            ArrayPool<float>.Shared.Return(padWeight);
        }
    }
}
