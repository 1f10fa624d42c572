using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// The encoder's attention with decomposed 2D relative positions (spec §2.3–2.4), over S×S windows (S = 14, windowed
/// blocks) or the whole G×G grid (global blocks). For a query at (h, w) and a key at (h', w') of one window:
/// <code>logit = ⟨q·scale, k⟩ + ⟨q, RH[h − h' + S − 1]⟩ + ⟨q, RW[w − w' + S − 1]⟩</code>
/// summed in that order, as the official code does.
/// </summary>
/// <remarks>
/// Windowed blocks pad the LN1 output with zeros at the high end of both axes (16 → 28) and attend over all 196 tokens of
/// each window with no key masking (the weights were trained that way). A padded token's q, k, v are the qkv bias
/// slices, so qkv is computed for the G² real tokens only and the padded positions are filled with the bias.
/// The output projection runs after the windows are put back and cropped (it is per token).
/// </remarks>
public static class RelPosAttention
{
    /// <summary>x [G², E] (the LN1 output) → attention output before the residual, [G², E].</summary>
    public static string Build(GraphBuilder g, SamMed2DConfig c, string x, int block)
    {
        int grid = c.Grid, heads = c.NumHeads, hd = c.HeadDim, dim = c.EmbedDim, s = c.WindowOf(block);
        string p = $"image_encoder.blocks.{block}.attn";
        int perSide = (grid + s - 1) / s, padded = perSide * s, windows = perSide * perSide, t = s * s;

        var qkv = g.Linear(x, p + ".qkv", "qkv");                                                          // [G², 3E]
        string tokens;
        if (padded == grid) tokens = g.Reshape(qkv, [windows, t, 3 * dim]);
        else
        {
            var gridQkv = g.Reshape(qkv, [grid, grid, 3 * dim]);
            var bias = g.Reshape(g.Weight(p + ".qkv.bias"), [1, 1, 3 * dim]);
            var wide = g.Concat(1, [gridQkv, g.Expand(bias, [grid, padded - grid, 3 * dim])]);
            var full = g.Concat(0, [wide, g.Expand(bias, [padded - grid, padded, 3 * dim])]);                  // [P, P, 3E]
            tokens = g.Reshape(g.Transpose(g.Reshape(full, [perSide, s, perSide, s, 3 * dim]), [0, 2, 1, 3, 4]), [windows, t, 3 * dim]);
        }
        var split = g.Transpose(g.Reshape(tokens, [windows, t, 3, heads, hd]), [2, 0, 3, 1, 4], "split");    // [3, B, H, T, hd]
        string Part(int i) => g.Squeeze(g.Gather(split, g.Constant([(long)i], 1), 0), [0]);
        string q = Part(0), k = Part(1), v = Part(2);

        var attn = g.MatMul(g.Mul(q, g.Scalar(1 / MathF.Sqrt(hd))), g.Transpose(k, [0, 1, 3, 2]), "qk");       // [B, H, T, T]

        // Tables gathered by offset: R[i, hd, j] = table[i − j + S − 1] (as [i, hd, j] for a batched MatMul).
        string Table(string axis)
        {
            var idx = new long[s * s];
            for (int i = 0; i < s; i++)
                for (int j = 0; j < s; j++) idx[i * s + j] = i - j + s - 1;
            return g.Transpose(g.Gather(g.Weight($"{p}.rel_pos_{axis}"), g.Constant(idx, s, s)), [0, 2, 1]);
        }
        var q5 = g.Reshape(q, [windows, heads, s, s, hd]);                                                   // unscaled q
        var relH = g.MatMul(q5, Table("h"), "rel_h");                                                        // [B, H, h, w, h']
        var byW = g.Transpose(q5, [0, 1, 3, 2, 4]);                                                          // [B, H, w, h, hd]
        var relW = g.Transpose(g.MatMul(byW, Table("w")), [0, 1, 3, 2, 4], "rel_w");                          // [B, H, h, w, w']
        var logits = g.Add(g.Add(g.Reshape(attn, [windows, heads, s, s, s, s]), g.Unsqueeze(relH, [5])), g.Unsqueeze(relW, [4]));
        var attended = g.MatMul(g.Softmax(g.Reshape(logits, [windows, heads, t, t], "logits")), v);           // [B, H, T, hd]
        var merged = g.Reshape(g.Transpose(attended, [0, 2, 1, 3]), [windows, t, dim]);

        string real;
        if (padded == grid) real = g.Reshape(merged, [grid * grid, dim]);
        else
        {
            var assembled = g.Reshape(g.Transpose(g.Reshape(merged, [perSide, perSide, s, s, dim]), [0, 2, 1, 3, 4]), [padded, padded, dim]);
            real = g.Reshape(g.Slice(assembled, [0, 0], [grid, grid], [0, 1]), [grid * grid, dim]);
        }
        return g.Linear(real, p + ".proj", "out");
    }
}
