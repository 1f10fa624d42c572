using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// SPADEResnetBlock with fin = fout (spec §4.3): x + conv_1(lrelu(SPADE_1(conv_0(lrelu(SPADE_0(x, P))), P))),
/// LeakyReLU slope 0.2, 3³ convolutions with bias. The shortcut is the identity (no conv_s / norm_s in any block).
/// </summary>
public static class SpadeResnetBlock
{
    /// <summary>x [1, C, n, n, n], prompt resized to n³ → [1, C, n, n, n]; <paramref name="block"/> is 1..5.</summary>
    public static string Build(GraphBuilder g, string x, string prompt, int block, int channels)
    {
        using var _ = g.Scope($"spade{block}");
        string p = $"{CtSam3DCheckpointLayout.Decoder}spade{block}.";
        var h = g.LeakyRelu(Spade.Build(g, x, prompt, p + "norm_0", channels), 0.2f);
        h = g.Conv(h, g.Weight(p + "conv_0.weight"), g.Weight(p + "conv_0.bias"), 3, 1, 1);
        h = g.LeakyRelu(Spade.Build(g, h, prompt, p + "norm_1", channels), 0.2f);
        h = g.Conv(h, g.Weight(p + "conv_1.weight"), g.Weight(p + "conv_1.bias"), 3, 1, 1);
        return g.Add(x, h, "out");
    }
}
