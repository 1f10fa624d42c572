using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// The 1×1×1 convolutions after each stage (spec §2.5, <c>channel_mapper1..4</c>), giving the decoder's skip maps
/// F0..F3. On tokens a 1×1×1 conv is a Linear; the result is returned channels-first.
/// </summary>
public static class ChannelMapper
{
    /// <summary>tokens [D³, C_k] → F_k [1, C'_k, D, D, D].</summary>
    public static string Build(GraphBuilder g, CtSam3DConfig c, string tokens, int stage)
    {
        string p = $"{CtSam3DCheckpointLayout.Encoder}channel_mapper{stage + 1}";
        int cin = c.EmbedDims[stage], cout = c.MapperChans[stage], grid = c.StageGrid(stage);
        var mapped = g.Gemm(tokens, g.Weight(p + ".weight", cout, cin), g.Weight(p + ".bias"));
        return g.Reshape(g.Transpose(mapped, [1, 0]), [1, cout, grid, grid, grid], $"feat{stage}");
    }
}
