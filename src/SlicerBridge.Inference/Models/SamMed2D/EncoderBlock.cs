using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// One pre-norm ViT block with its adapter (spec §2.2): x += proj(RelPosAttention(LN1(x))); n = LN2(x);
/// x = x + MLP(n) + Adapter(n). The adapter runs beside the MLP on the same LN2 output. Block norms use eps 1e-6.
/// </summary>
public static class EncoderBlock
{
    /// <summary>x [G², E] → [G², E].</summary>
    public static string Build(GraphBuilder g, SamMed2DConfig c, string x, int index)
    {
        string p = $"image_encoder.blocks.{index}";
        using var scope = g.Scope($"blk.{index}");
        var attn = RelPosAttention.Build(g, c, g.LayerNorm(x, p + ".norm1", 1e-6f, "attn_norm"), index);
        x = g.Add(x, attn, "attn_residual");
        var n = g.LayerNorm(x, p + ".norm2", 1e-6f, "ffn_norm");
        var mlp = g.Linear(g.Gelu(g.Linear(n, p + ".mlp.lin1")), p + ".mlp.lin2");
        x = g.Add(x, mlp, c.EncoderAdapter ? "mlp_residual" : "out");
        return c.EncoderAdapter ? g.Add(x, Adapter.Build(g, c, n, index), "out") : x;
    }
}
