using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// ResT's PA (spec §2.1 step 5): x ⊙ sigmoid(depthwise 3³ conv(x)). The only positional signal in the encoder:
/// there is no position embedding anywhere.
/// </summary>
public static class PixelAttention
{
    /// <summary>x [1, C, D, D, D] → same shape; weights <c>prefix.pa_conv.{weight,bias}</c>.</summary>
    public static string Build(GraphBuilder g, string x, string prefix, int channels)
    {
        var gate = g.ConvGrouped(x, g.Weight(prefix + ".pa_conv.weight"), g.Weight(prefix + ".pa_conv.bias"), 3, 1, 1, channels);
        return g.Mul(x, g.Sigmoid(gate), "pa");
    }

    /// <summary>Channels-first volume [1, C, D, D, D] → tokens [D³, C] in A0-major order.</summary>
    public static string ToTokens(GraphBuilder g, string volume, int channels, int grid) =>
        g.Transpose(g.Reshape(volume, [channels, (long)grid * grid * grid]), [1, 0]);

    /// <summary>Tokens [D³, C] → channels-first volume [1, C, D, D, D].</summary>
    public static string ToVolume(GraphBuilder g, string tokens, int channels, int grid) =>
        g.Reshape(g.Transpose(tokens, [1, 0]), [1, channels, grid, grid, grid]);
}
