using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// Down-sampling between encoder stages (spec §2.2, <c>patch_2..4</c>): tokens → C@D³ → conv 3³ stride 2 (C → 2C) → PA →
/// tokens → LayerNorm (eps 1e-6). It takes the stage's un-mapped tokens.
/// </summary>
public static class PatchEmbed
{
    /// <summary>tokens [D³, C] → tokens [(D/2)³, 2C]; <paramref name="stage"/> is 2, 3 or 4.</summary>
    public static string Build(GraphBuilder g, CtSam3DConfig c, string tokens, int stage)
    {
        using var _ = g.Scope($"patch_{stage}");
        string p = $"{CtSam3DCheckpointLayout.Encoder}patch_{stage}.";
        int cin = c.EmbedDims[stage - 2], cout = c.EmbedDims[stage - 1], grid = c.StageGrid(stage - 2);
        var x = g.Conv(PixelAttention.ToVolume(g, tokens, cin, grid), g.Weight(p + "proj.weight"), g.Weight(p + "proj.bias"), 3, 2, 1);
        x = PixelAttention.Build(g, x, p + "pos", cout);
        return g.LayerNorm(PixelAttention.ToTokens(g, x, cout, grid / 2), p + "norm", 1e-6f, "out");
    }
}
