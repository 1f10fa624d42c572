using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>The decoder's CNA up-sampling (spec §4.2): ConvTranspose3d kernel 2 stride 2 → LayerNorm3d (eps 1e-6) → GELU (erf).</summary>
public static class UpscaleBlock
{
    /// <summary>x [1, Cin, n, n, n] → [1, Cout, 2n, 2n, 2n]; <paramref name="index"/> is 1..5.</summary>
    public static string Build(GraphBuilder g, string x, int index)
    {
        using var _ = g.Scope($"upscale{index}");
        string p = $"{CtSam3DCheckpointLayout.Decoder}upscale{index}.cna.";
        var up = g.ConvTranspose(x, g.Weight(p + "0.weight"), g.Weight(p + "0.bias"), 2);
        return g.Gelu(g.LayerNorm3d(up, p + "1", 1e-6f), "out");
    }
}
