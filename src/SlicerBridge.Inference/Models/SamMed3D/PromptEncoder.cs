using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// Prompt encoder (spec §3): random-Fourier point tokens, the dense positional encoding of the token grid, and the
/// mask prompt (previous low-res logits) downscaled to the embedding grid.
/// </summary>
public static class PromptEncoder
{
    private const string P = "prompt_encoder";

    /// <summary>
    /// Fourier features of u [N, 3] ∈ [0,1]³: z = 2π·((2u − 1)·G), PE = [sin z, cos z, sin z] → [N, C].
    /// The third block really repeats sin: that is how 3 blocks of C/3 fill C in the official code.
    /// u, the arithmetic and the result are float32 in every precision (z reaches tens of radians; fp16 would shift the phases).
    /// </summary>
    public static string Fourier(GraphBuilder g, string u, string? name = null)
    {
        var centred = g.Sub(g.Mul(u, g.ScalarFp32(2)), g.ScalarFp32(1));
        var z = g.Mul(g.MatMul(centred, g.WeightFp32(P + ".pe_layer.positional_encoding_gaussian_matrix")), g.ScalarFp32(2 * MathF.PI));
        var sin = g.Sin(z);
        return g.Concat(-1, [sin, g.Cos(z), sin], name);
    }

    /// <summary>Dense PE of the token grid, channel-last [G³, C], float32 (prompt-independent: folded to a constant when the session is made).</summary>
    public static string DensePe(GraphBuilder g, SamMed3DConfig c)
    {
        int grid = c.Grid;
        var u = new float[grid * grid * grid * 3];
        for (int g0 = 0, t = 0; g0 < grid; g0++)
            for (int g1 = 0; g1 < grid; g1++)
                for (int g2 = 0; g2 < grid; g2++, t++)
                {
                    // Quirk (spec §3): the first two coordinates are swapped relative to the point convention.
                    u[3 * t] = (g1 + 0.5f) / grid;
                    u[3 * t + 1] = (g0 + 0.5f) / grid;
                    u[3 * t + 2] = (g2 + 0.5f) / grid;
                }
        return Fourier(g, g.ConstantFp32(u, grid * grid * grid, 3), "dense_pe");
    }

    /// <summary>
    /// Point tokens [N+1, C]: PE((p + 0.5)/S) + the label's embedding for each click (coords [N, 3] in crop voxels,
    /// float32; labels [N, 1] float32: 1 positive, 0 negative), then the padding point the official code appends when there is no box,
    /// whose token is exactly not_a_point_embed.
    /// </summary>
    public static string EmbedPoints(GraphBuilder g, SamMed3DConfig c, string coords, string labels)
    {
        var pe = Fourier(g, g.Div(g.Add(coords, g.ScalarFp32(0.5f)), g.ScalarFp32(c.ImageSize)));
        var positive = g.Mul(labels, g.WeightFp32(P + ".point_embeddings.1.weight"));
        var negative = g.Mul(g.Sub(g.ScalarFp32(1), labels), g.WeightFp32(P + ".point_embeddings.0.weight"));
        var tokens = g.Add(pe, g.Add(positive, negative));
        return g.Concat(0, [tokens, g.WeightFp32(P + ".not_a_point_embed.weight")], "sparse");   // float32
    }

    /// <summary>
    /// Mask prompt: logits [1,1,R,R,R] → Conv k2 s2 → LayerNorm3d → GELU → Conv k2 s2 → LayerNorm3d → GELU → Conv 1×1
    /// → [1, C, G, G, G]. The first click passes zeros, never no_mask_embed (spec §3: the official pipeline always
    /// passes a mask, and a zero mask is not the same as no_mask_embed).
    /// </summary>
    public static string EmbedMask(GraphBuilder g, string mask)
    {
        string d = P + ".mask_downscaling";
        var x = g.Conv(mask, g.Weight(d + ".0.weight"), g.Weight(d + ".0.bias"), 2, 2, 0);
        x = g.Gelu(g.LayerNorm3d(x, d + ".1", 1e-6f));
        x = g.Conv(x, g.Weight(d + ".3.weight"), g.Weight(d + ".3.bias"), 2, 2, 0);
        x = g.Gelu(g.LayerNorm3d(x, d + ".4", 1e-6f));
        return g.Conv(x, g.Weight(d + ".6.weight"), g.Weight(d + ".6.bias"), 1, 1, 0, "dense");
    }
}
