using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// ResT-v2's ConvStem (spec §2.1), patch size 4: conv 3³/2 (no bias) → eval BatchNorm → ReLU → conv 3³/2 (no bias) →
/// BatchNorm → ReLU → 1×1×1 conv → PA → tokens → LayerNorm (eps 1e-6). BatchNorm uses the running statistics
/// (eps 1e-5); ONNX Runtime folds it into the convolution.
/// </summary>
public static class ConvStem
{
    private const string P = CtSam3DCheckpointLayout.Encoder + "stem.";

    /// <summary>image [1, 1, 64, 64, 64] → tokens [16³, C0].</summary>
    public static string Build(GraphBuilder g, CtSam3DConfig c, string image)
    {
        using var _ = g.Scope("stem");
        int c0 = c.EmbedDims[0], grid = c.StageGrid(0);
        var x = g.Conv(image, g.Weight(P + "proj.0.weight"), null, 3, 2, 1);
        x = g.Relu(BatchNorm(g, x, P + "proj.1"));
        x = g.Conv(x, g.Weight(P + "proj.3.weight"), null, 3, 2, 1);
        x = g.Relu(BatchNorm(g, x, P + "proj.4"));
        x = g.Conv(x, g.Weight(P + "proj.6.weight"), g.Weight(P + "proj.6.bias"), 1, 1, 0);
        x = PixelAttention.Build(g, x, P + "pos", c0);
        return g.LayerNorm(PixelAttention.ToTokens(g, x, c0, grid), P + "norm", 1e-6f, "out");
    }

    private static string BatchNorm(GraphBuilder g, string x, string prefix) =>
        g.BatchNormalization(x, g.Weight(prefix + ".weight"), g.Weight(prefix + ".bias"),
            g.Weight(prefix + ".running_mean"), g.Weight(prefix + ".running_var"), 1e-5f);
}
