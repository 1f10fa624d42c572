using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The encoder's attention with decomposed relative positions (spec §2.1–2.2), over the G³ real tokens only.
/// For a real query at (a,b,c) and a window key at (d,e,f) ∈ [0,S)³:
/// <code>logit = ⟨q(a,b,c), k(d,e,f)⟩/√hd + A[abc,f] + B[ab,x=d,f] + C[ab,x=e,f]</code>
/// with A = ⟨q(a,b,c), TD[a−f]⟩, B = ⟨q(a,b,x), TH[b−f]⟩, C = ⟨q(a,b,x), TW[x−f]⟩.
/// </summary>
/// <remarks>
/// Quirk 1 (released <c>add_decomposed_rel_pos</c>, upstream issue #101): every per-axis term lands on the key's last
/// coordinate f, and the H and W terms use the q of another query position, (a,b,d) and (a,b,e). The checkpoint was
/// trained with it, so it is reproduced exactly.
/// Quirk 2 (window 14 on an 8³ grid): a windowed block attends over one zero-padded 14³ window with no key masking.
/// A padded token is all zeros after LN1, so its q, k, v are the qkv bias slices. The 2,232 padded keys are not
/// materialised: their q·k term is the same for all of them (q·k_bias), their values are all v_bias, and the sum of
/// exp(A + B + C) over them factors over d, e and f (sums of B over real / padded x, the same for C). That total enters
/// the softmax as one extra key column (log-sum-exp form, so large tables do not overflow) whose value row is v_bias.
/// The logits and the softmax are float32 in every precision (fp16 logits of large relative-position terms lose the
/// differences the softmax amplifies); the projections and the attended values are in the compute type.
/// </remarks>
public static class RelPosAttention
{
    /// <summary>x [G³, C] (the LN1 output) → attention output before the residual, [G³, C].</summary>
    public static string Build(GraphBuilder g, SamMed3DConfig c, string x, int block, int window)
    {
        int grid = c.Grid, t = grid * grid * grid, heads = c.NumHeads, hd = c.HeadDim, dim = c.EmbedDim, s = window;
        string p = $"image_encoder.blocks.{block}.attn";
        bool padded = s > grid;
        var scale = g.ScalarFp32(1 / MathF.Sqrt(hd));

        var qkv = g.Transpose(g.Reshape(g.Linear(x, p + ".qkv"), [t, 3, heads, hd]), [1, 2, 0, 3], "qkv");  // [3, H, T, hd]
        string Part(string v, int i) => g.Gather(v, g.Constant([(long)i]), 0);
        string q = g.ToFloat32(Part(qkv, 0)), k = g.ToFloat32(Part(qkv, 1)), v = Part(qkv, 2);
        var bias = g.Reshape(g.WeightFp32(p + ".qkv.bias"), [3, heads, 1, hd]);                          // q, k, v of a padded token

        var qk = g.MatMul(g.Mul(q, scale), g.Transpose(k, [0, 2, 1]), "qk");                              // [H, T, T]

        // Per-axis tables gathered by offset: R[i, f] = table[i − f + S − 1], as [i, hd, f] for a batched MatMul.
        string Table(string axis, int rows)
        {
            var idx = new long[rows * s];
            for (int i = 0; i < rows; i++)
                for (int f = 0; f < s; f++) idx[i * s + f] = i - f + s - 1;
            return g.Transpose(g.Gather(g.WeightFp32($"{p}.rel_pos_{axis}"), g.Constant(idx, rows, s)), [0, 2, 1]);
        }

        var q5 = g.Reshape(q, [heads, grid, grid, grid, hd]);
        // A[h,a,b,c,f] = ⟨q(a,b,c), TD[a−f]⟩: batched over a.
        var relA = g.Reshape(g.MatMul(g.Reshape(q, [heads, grid, grid * grid, hd]), Table("d", grid)), [heads, grid, grid, grid, s], "rel_a");
        // q at window positions (a,b,x), x ∈ [0,S): real for x < G, the q bias beyond.
        var qWindow = padded
            ? g.Concat(3, [q5, g.Expand(g.Reshape(Part(bias, 0), [heads, 1, 1, 1, hd]), [heads, grid, grid, s - grid, hd])])
            : q5;
        // B[h,a,b,x,f] = ⟨q(a,b,x), TH[b−f]⟩: batched over b.
        var relB = g.MatMul(qWindow, Table("h", grid), "rel_b");                                         // [H, G, G, S, S]
        // C[h,a,b,x,f] = ⟨q(a,b,x), TW[x−f]⟩: batched over x.
        var byX = g.Reshape(g.Transpose(qWindow, [3, 0, 1, 2, 4]), [s, heads * grid * grid, hd]);
        var relC = g.Transpose(g.Reshape(g.MatMul(byX, Table("w", s)), [s, heads, grid, grid, s]), [1, 2, 3, 0, 4], "rel_c");

        // Real keys: qk + A[abc,f] + B[ab,d,f] + C[ab,e,f] over (h, a,b,c, d,e,f).
        string Real(string r, long[] axes) => padded ? g.Slice(r, [.. axes.Select(_ => 0L)], [.. axes.Select(_ => (long)grid)], axes) : r;
        var a7 = g.Reshape(Real(relA, [4]), [heads, grid, grid, grid, 1, 1, grid]);
        var b7 = g.Reshape(Real(relB, [3, 4]), [heads, grid, grid, 1, grid, 1, grid]);
        var c7 = g.Reshape(Real(relC, [3, 4]), [heads, grid, grid, 1, 1, grid, grid]);
        var rel = g.Add(a7, g.Add(b7, c7));
        var logits = g.Reshape(g.Add(g.Reshape(qk, [heads, grid, grid, grid, grid, grid, grid]), rel), [heads, t, t], "logits");
        var values = v;

        if (padded)
        {
            // log Σ over padded keys of exp(A + B + C), factored: per f, the (d,e) pairs that are not both real
            // (every pair when f itself is padded), from log-sums of B and C over real and padded x.
            string Lse(string r, int from, int to) => g.ReduceLogSumExp(g.Slice(r, [from], [to], [3]), [3], keepDims: false);
            string bReal = Lse(relB, 0, grid), bPad = Lse(relB, grid, s), cReal = Lse(relC, 0, grid), cPad = Lse(relC, grid, s);
            var onlyPaddedF = g.ConstantFp32(Enumerable.Range(0, s).Select(f => f < grid ? -1e30f : 0f).ToArray(), s);
            string[] pairs = [g.Add(bReal, cPad), g.Add(bPad, cReal), g.Add(bPad, cPad), g.Add(g.Add(bReal, cReal), onlyPaddedF)];
            var perF = g.ReduceLogSumExp(g.Concat(-1, [.. pairs.Select(x => g.Unsqueeze(x, [-1]))]), [-1], keepDims: false); // [H,G,G,S]
            var padRel = g.ReduceLogSumExp(g.Add(relA, g.Unsqueeze(perF, [3])), [4], keepDims: false);                  // [H,G,G,G]
            var qkBias = g.MatMul(g.Mul(q, scale), g.Transpose(Part(bias, 1), [0, 2, 1]));                               // [H, T, 1]
            var padLogit = g.Add(qkBias, g.Reshape(padRel, [heads, t, 1]), "pad_logit");
            logits = g.Concat(2, [logits, padLogit]);
            values = g.Concat(1, [v, g.ToCompute(Part(bias, 2))]);
        }

        var attended = g.MatMul(g.ToCompute(g.Softmax(logits)), values);                                  // [H, T, hd]
        var merged = g.Reshape(g.Transpose(attended, [1, 0, 2]), [t, dim]);
        return g.Linear(merged, p + ".proj", "out");
    }
}
