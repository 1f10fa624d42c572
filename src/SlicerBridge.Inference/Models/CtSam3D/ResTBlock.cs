using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>One pre-norm ResT-v2 block (spec §2.3): x + Attn(LN1(x)), then x + MLP(LN2(x)); MLP C → 4C → GELU (erf) → C.</summary>
public static class ResTBlock
{
    /// <summary>tokens [N, C] of stage <paramref name="stage"/> (0-based) → [N, C].</summary>
    public static string Build(GraphBuilder g, CtSam3DConfig c, string x, int stage, int block)
    {
        using var _ = g.Scope($"stage{stage + 1}.{block}");
        string p = $"{CtSam3DCheckpointLayout.Encoder}stage{stage + 1}.{block}.";
        x = g.Add(x, SpatialReductionAttention.Build(g, c, g.LayerNorm(x, p + "norm1", 1e-6f), stage, p + "attn."));
        var hidden = g.Gelu(g.Linear(g.LayerNorm(x, p + "norm2", 1e-6f), p + "mlp.fc1"));
        return g.Add(x, g.Linear(hidden, p + "mlp.fc2"), "out");
    }
}
