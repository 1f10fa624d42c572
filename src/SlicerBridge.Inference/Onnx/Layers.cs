namespace SlicerBridge.Inference.Onnx;

/// <summary>
/// Blocks shared by the model graphs, named after the PyTorch modules whose weights they take (a prefix such as
/// <c>mask_decoder.transformer.layers.0.mlp.lin1</c> finds <c>.weight</c> and <c>.bias</c>).
/// </summary>
public static class Layers
{
    /// <summary>nn.Linear: x [M, in] → [M, out] (weight [out, in], bias [out]).</summary>
    public static string Linear(this GraphBuilder g, string x, string prefix, string? name = null) =>
        g.Gemm(x, g.Weight(prefix + ".weight"), g.Weights.Contains(prefix + ".bias") ? g.Weight(prefix + ".bias") : null, name);

    /// <summary>
    /// nn.LayerNorm over the last axis, on a float32 value (a residual stream), in float32 in every precision (the
    /// usual mixed-precision split: streams and norms in fp32, matrix products in the compute type).
    /// </summary>
    public static string LayerNorm(this GraphBuilder g, string x, string prefix, float epsilon, string? name = null) =>
        g.LayerNormalization(x, g.WeightFp32(prefix + ".weight"), g.WeightFp32(prefix + ".bias"), epsilon, name);

    /// <summary>
    /// SAM's LayerNorm3d: each voxel of x [1,C,D,H,W] (compute type) normalised over its C channels in float32, then
    /// per-channel weight and bias; returns the compute type.
    /// </summary>
    public static string LayerNorm3d(this GraphBuilder g, string x, string prefix, float epsilon, string? name = null)
    {
        var channelsLast = g.ToFloat32(g.Transpose(x, [0, 2, 3, 4, 1]));
        var normed = g.ToCompute(g.LayerNormalization(channelsLast, g.WeightFp32(prefix + ".weight"), g.WeightFp32(prefix + ".bias"), epsilon));
        return g.Transpose(normed, [0, 4, 1, 2, 3], name);
    }

    /// <summary>Exact GELU, 0.5·x·(1 + erf(x/√2)) (nn.GELU's default; ONNX Runtime fuses this pattern into one kernel).</summary>
    public static string Gelu(this GraphBuilder g, string x, string? name = null)
    {
        var e = g.Erf(g.Mul(x, g.Scalar(1 / MathF.Sqrt(2))));
        return g.Mul(g.Mul(x, g.Add(e, g.Scalar(1))), g.Scalar(0.5f), name);
    }

    /// <summary>Linear layers <c>prefix.0 … prefix.{n−1}</c> with ReLU between them (SAM's MLP class).</summary>
    public static string Mlp(this GraphBuilder g, string x, string prefix, int layers, string? name = null)
    {
        for (int i = 0; i < layers; i++)
        {
            x = g.Linear(x, $"{prefix}.{i}", i == layers - 1 ? name : null);
            if (i < layers - 1) x = g.Relu(x);
        }
        return x;
    }

    /// <summary>
    /// SAM's decoder attention: q [Nq, C], k and v [Nk, C] projected to an internal width (q_proj … out_proj under
    /// <paramref name="prefix"/>), split into heads, softmax(q·kᵀ/√head_dim)·v, heads merged, out_proj → [Nq, C].
    /// </summary>
    public static string Attention(this GraphBuilder g, string q, string k, string v, string prefix, int heads, int innerDim, string? name = null)
    {
        int headDim = innerDim / heads;
        string Heads(string x) => g.Transpose(g.Reshape(x, [-1, heads, headDim]), [1, 0, 2]);    // [H, N, hd]
        var qh = Heads(g.Linear(q, prefix + ".q_proj"));
        var kh = g.Transpose(g.Reshape(g.Linear(k, prefix + ".k_proj"), [-1, heads, headDim]), [1, 2, 0]); // [H, hd, Nk]
        var vh = Heads(g.Linear(v, prefix + ".v_proj"));
        // Logits and softmax in float32 in every precision (see the encoder's attention).
        var logits = g.Mul(g.ToFloat32(g.MatMul(qh, kh)), g.ScalarFp32(1 / MathF.Sqrt(headDim)));
        var attended = g.MatMul(g.ToCompute(g.Softmax(logits)), vh);                              // [H, Nq, hd]
        var merged = g.Reshape(g.Transpose(attended, [1, 0, 2]), [-1, innerDim]);
        return g.Linear(merged, prefix + ".out_proj", name);
    }
}
