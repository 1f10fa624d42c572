using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// Prompt encoder (spec §3): random-Fourier tokens for points and box corners, the dense positional encoding of the
/// token grid, and the mask prompt (sigmoid of the previous low-res logits) downscaled to the grid.
/// </summary>
public static class PromptEncoder
{
    private const string P = "prompt_encoder";

    /// <summary>Token labels as the graph takes them: the predictor's −1/0/1 and the box corners' 2/3.</summary>
    public const float PaddingLabel = -1, NegativeLabel = 0, PositiveLabel = 1, BoxTopLeftLabel = 2, BoxBottomRightLabel = 3;

    /// <summary>Fourier features of u [N, 2] ∈ [0,1]² (x first): z = 2π·((2u − 1)·G), PE = [sin z, cos z] → [N, C].</summary>
    public static string Fourier(GraphBuilder g, string u, string? name = null)
    {
        var centred = g.Sub(g.Mul(u, g.Scalar(2)), g.Scalar(1));
        var z = g.Mul(g.MatMul(centred, g.Weight(P + ".pe_layer.positional_encoding_gaussian_matrix")), g.Scalar(2 * MathF.PI));
        return g.Concat(-1, [g.Sin(z), g.Cos(z)], name);
    }

    /// <summary>Dense PE of the token grid, channel-last [G², C]: PE(((j + 0.5)/G, (i + 0.5)/G)) at row i, column j.</summary>
    public static string DensePe(GraphBuilder g, SamMed2DConfig c)
    {
        int grid = c.Grid;
        var u = new float[grid * grid * 2];
        for (int i = 0, t = 0; i < grid; i++)
            for (int j = 0; j < grid; j++, t++)
            {
                u[2 * t] = (j + 0.5f) / grid;
                u[2 * t + 1] = (i + 0.5f) / grid;
            }
        return Fourier(g, g.Constant(u, grid * grid, 2), "dense_pe");
    }

    /// <summary>
    /// Sparse tokens [N, C] from coords [N, 2] (model pixels x, y, before the +0.5) and labels [N, 1]: PE((p + 0.5)/S)
    /// plus point_embeddings[label] for labels 0–3; label −1 (the padding point) is exactly not_a_point_embed.
    /// </summary>
    public static string EmbedPoints(GraphBuilder g, SamMed2DConfig c, string coords, string labels)
    {
        var pe = Fourier(g, g.Div(g.Add(coords, g.Scalar(0.5f)), g.Scalar(c.ImageSize)));
        string Is(float label) => g.EqualAsFloat(labels, g.Scalar(label));
        var padding = Is(PaddingLabel);
        var tokens = g.Add(g.Mul(pe, g.Sub(g.Scalar(1), padding)), g.Mul(padding, g.Weight(P + ".not_a_point_embed.weight")));
        float[] kinds = [NegativeLabel, PositiveLabel, BoxTopLeftLabel, BoxBottomRightLabel];
        for (int i = 0; i < kinds.Length; i++)
            tokens = g.Add(tokens, g.Mul(Is(kinds[i]), g.Weight($"{P}.point_embeddings.{i}.weight")));
        return tokens;
    }

    /// <summary>
    /// Dense prompt [1, C, G, G]: mask [1, 1, 4G, 4G] → Conv k2 s2 → LayerNorm2d → GELU → Conv k2 s2 → LayerNorm2d → GELU
    /// → Conv 1×1 when <paramref name="hasMask"/> [1] is 1; no_mask_embed broadcast when it is 0.
    /// </summary>
    public static string EmbedMask(GraphBuilder g, SamMed2DConfig c, string mask, string hasMask)
    {
        string d = P + ".mask_downscaling";
        int grid = c.Grid, o = c.PromptEmbedDim;
        var x = g.Conv2d(mask, g.Weight(d + ".0.weight"), g.Weight(d + ".0.bias"), 2, 2, 0);
        x = g.Gelu(ImageEncoder.LayerNorm2d(g, x, d + ".1", 1e-6f));
        x = g.Conv2d(x, g.Weight(d + ".3.weight"), g.Weight(d + ".3.bias"), 2, 2, 0);
        x = g.Gelu(ImageEncoder.LayerNorm2d(g, x, d + ".4", 1e-6f));
        var masked = g.Conv2d(x, g.Weight(d + ".6.weight"), g.Weight(d + ".6.bias"), 1, 1, 0);
        var noMask = g.Expand(g.Reshape(g.Weight(P + ".no_mask_embed.weight"), [1, o, 1, 1]), [1, o, grid, grid]);
        var has = g.Reshape(hasMask, [1, 1, 1, 1]);
        return g.Add(g.Mul(masked, has), g.Mul(noMask, g.Sub(g.Scalar(1), has)), "dense");
    }
}
