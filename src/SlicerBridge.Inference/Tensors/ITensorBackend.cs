namespace SlicerBridge.Inference.Tensors;

/// <summary>
/// The op set every model is written against (in the manner of ggml: a small set of explicit ops with
/// clear shapes). Activations are channel-last matrices [rows, columns]. The CPU backend is the reference;
/// a GPU backend implements the same ops on device memory. Backends are thread-safe.
/// </summary>
public interface ITensorBackend
{
    string Name { get; }

    /// <summary>Prepares a PyTorch Linear weight (out × in, row-major) and bias for <see cref="Linear"/> (packing, upload).</summary>
    LinearWeights CreateLinear(ReadOnlySpan<float> weightOutIn, int outFeatures, int inFeatures, ReadOnlySpan<float> bias);

    /// <summary>y[M,out] = act(x[M,in] · Wᵀ + b), or y += x · Wᵀ + b when <paramref name="accumulate"/> (residual; no activation).</summary>
    void Linear(Tensor x, LinearWeights weights, Tensor y, Activation activation = Activation.None, bool accumulate = false);

    /// <summary>Row-wise LayerNorm over the last dimension (population variance): y = (x−μ)/√(σ²+eps)·γ + β. x and y may alias.</summary>
    void LayerNorm(Tensor x, float[] gamma, float[] beta, float eps, Tensor y);

    /// <summary>x = act(x), element-wise.</summary>
    void Activate(Tensor x, Activation activation);

    /// <summary>y += x, element-wise (same element count).</summary>
    void Add(Tensor x, Tensor y);

    /// <summary>
    /// Multi-head scaled dot-product attention: q [Nq, H·d], k [Nk, H·d], v [Nk, H·d] → output [Nq, H·d],
    /// head h on columns h·d..h·d+d−1, softmax(q kᵀ / √d) v per head, no masking.
    /// </summary>
    void Attention(Tensor q, Tensor k, Tensor v, int heads, Tensor output);

    /// <summary>SAM-Med3D encoder attention with the released decomposed relative-position term (see <see cref="RelPosAttentionSpec"/>).</summary>
    void RelPosAttention(Tensor qkv, RelPosAttentionSpec spec, Tensor output);

    /// <summary>
    /// 3D im2col, channel-last: x is a D×D×D grid [D³, C]; output [(Do)³, k³·C] with Do = (D + 2·pad − k)/stride + 1,
    /// column order (k0, k1, k2, c) — the order of a Conv3d weight permuted to (out, k0, k1, k2, in). Zero padding.
    /// <paramref name="output"/> has the shape of <see cref="TensorBackendExtensions.Im2ColShape"/>; every element is written.
    /// </summary>
    void Im2Col(Tensor x, int grid, int kernel, int stride, int pad, Tensor output);

    /// <summary>
    /// Inverse of a kernel-2 stride-2 transposed conv's GEMM: x [G³, 8·C] with column order (α, β, γ, c) →
    /// [(2G)³, C] where out[(2i+α, 2j+β, 2k+γ), c] = x[(i,j,k), (α,β,γ,c)].
    /// </summary>
    void DepthToSpace2(Tensor x, int grid, Tensor output);

    /// <summary>
    /// <see cref="DepthToSpace2"/> fused with a projection onto one vector: output[(2i+α, 2j+β, 2k+γ)] =
    /// Σ_c x[(i,j,k), (α,β,γ,c)]·w[c], output (2G)³ row-major. (SAM's mask = hypernetwork weights · upscaled features,
    /// without materialising the upscaled features.)
    /// </summary>
    void DepthToSpace2Dot(Tensor x, int grid, ReadOnlySpan<float> w, Span<float> output);
}

/// <summary>A Linear layer's weights as the backend keeps them.</summary>
public abstract class LinearWeights
{
    public required int InFeatures { get; init; }
    public required int OutFeatures { get; init; }
    public abstract long SizeBytes { get; }
}
