using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// The ResT-v2 3D image encoder (spec §2): ConvStem, four stages of spatial-reduction attention blocks with PatchEmbed
/// down-sampling between them, and a channel mapper after each stage. No final norm. Runs once per 64³ patch.
/// </summary>
public static class ResTEncoder
{
    /// <summary>image [1, 1, 64, 64, 64] → (F0..F3 channels-first, stem tokens [16³, C0] for parity checks).</summary>
    public static (string[] Features, string Stem) Build(GraphBuilder g, CtSam3DConfig c, string image)
    {
        var stem = ConvStem.Build(g, c, image);
        var features = new string[4];
        var x = stem;
        for (int s = 0; s < 4; s++)
        {
            if (s > 0) x = PatchEmbed.Build(g, c, x, s + 1);
            for (int b = 0; b < c.Depths[s]; b++) x = ResTBlock.Build(g, c, x, s, b);
            features[s] = ChannelMapper.Build(g, c, x, s);
        }
        return (features, stem);
    }
}
