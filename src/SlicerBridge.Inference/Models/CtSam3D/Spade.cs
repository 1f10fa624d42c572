using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// SPADE (spec §4.3): instance-normalised x (eps 1e-5, no affine, always this sample's statistics, even over the 8
/// voxels of a 2³ map) modulated by γ and β predicted from the prompt: x̂ ⊙ (1 + γ) + β, with
/// a = ReLU(conv 3→hidden (P at x's size)), γ = conv(a), β = conv(a). γ and β are one convolution here (their weights
/// concatenated in the graph, which ONNX Runtime folds into one initializer).
/// </summary>
public static class Spade
{
    /// <summary>x [1, C, n, n, n], prompt [1, 3, n, n, n] (already resized) → [1, C, n, n, n]; weights under <c>prefix.mlp_*</c>.</summary>
    public static string Build(GraphBuilder g, string x, string prompt, string prefix, int channels)
    {
        var normalised = InstanceNorm(g, x, channels, 1e-5f);
        var a = g.Relu(g.Conv(prompt, g.Weight(prefix + ".mlp_shared.0.weight"), g.Weight(prefix + ".mlp_shared.0.bias"), 3, 1, 1));
        var weight = g.Concat(0, [g.Weight(prefix + ".mlp_gamma.weight"), g.Weight(prefix + ".mlp_beta.weight")]);
        var bias = g.Concat(0, [g.Weight(prefix + ".mlp_gamma.bias"), g.Weight(prefix + ".mlp_beta.bias")]);
        var gammaBeta = g.Conv(a, weight, bias, 3, 1, 1);
        var gamma = g.Slice(gammaBeta, [0], [channels], [1]);
        var beta = g.Slice(gammaBeta, [channels], [2 * channels], [1]);
        return g.Add(g.Mul(normalised, g.Add(gamma, g.Scalar(1))), beta, "out");
    }

    /// <summary>InstanceNorm3d without affine parameters (ONNX's op needs a scale and a bias: ones and zeros).</summary>
    public static string InstanceNorm(GraphBuilder g, string x, int channels, float epsilon) =>
        g.InstanceNormalization(x, g.Constant(Enumerable.Repeat(1f, channels).ToArray(), channels), g.Constant(new float[channels], channels), epsilon);
}
