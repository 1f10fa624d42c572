using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// One pre-norm ViT block of the image encoder (spec §2 step 3): x += proj(RelPosAttention(LN1(x))); x += MLP(LN2(x)),
/// MLP = lin1 → exact GELU → lin2. Its LayerNorms use eps 1e-6 (nn.LayerNorm(dim, eps=1e-6) in the official code).
/// </summary>
public static class EncoderBlock
{
    /// <summary>x [G³, C] → [G³, C]; the residual stream x is float32 in every precision.</summary>
    public static string Build(GraphBuilder g, SamMed3DConfig c, string x, int index)
    {
        string p = $"image_encoder.blocks.{index}";
        using var scope = g.Scope($"blk.{index}");
        // Quirk (spec §2.1): window 14 exceeds the 8³ grid, so a windowed block is one zero-padded 14³ window.
        int window = c.IsGlobal(index) || c.WindowSize == 0 ? c.Grid : c.WindowSize;
        var attn = RelPosAttention.Build(g, c, g.ToCompute(g.LayerNorm(x, p + ".norm1", 1e-6f, "attn_norm")), index, window);
        x = g.Add(x, g.ToFloat32(attn), "attn_residual");
        var hidden = g.Gelu(g.Linear(g.ToCompute(g.LayerNorm(x, p + ".norm2", 1e-6f, "ffn_norm")), p + ".mlp.lin1"));
        return g.Add(x, g.ToFloat32(g.Linear(hidden, p + ".mlp.lin2")), "out");
    }
}
