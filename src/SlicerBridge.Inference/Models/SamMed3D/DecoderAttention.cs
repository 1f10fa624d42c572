using SlicerBridge.Inference.Tensors;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The mask decoder's attention: q/k/v projections to an internal width (dim, or dim/2 for the cross-attentions),
/// multi-head softmax(q·kᵀ/√head_dim)·v, output projection back to dim.
/// </summary>
public sealed class DecoderAttention(SamWeights weights, string prefix, int heads)
{
    private readonly ITensorBackend _backend = weights.Backend;
    private readonly LinearWeights _q = weights.Linear(prefix + ".q_proj");
    private readonly LinearWeights _k = weights.Linear(prefix + ".k_proj");
    private readonly LinearWeights _v = weights.Linear(prefix + ".v_proj");
    private readonly LinearWeights _out = weights.Linear(prefix + ".out_proj");

    /// <summary>Returns out_proj(attention(q, k, v)) as a new [Nq, dim] tensor from <paramref name="arena"/>.</summary>
    public Tensor Forward(Tensor q, Tensor k, Tensor v, TensorArena arena)
    {
        int inner = _q.OutFeatures;
        var qp = arena.Rent(q.Rows, inner);
        var kp = arena.Rent(k.Rows, inner);
        var vp = arena.Rent(v.Rows, inner);
        _backend.Linear(q, _q, qp);
        _backend.Linear(k, _k, kp);
        _backend.Linear(v, _v, vp);
        var attended = arena.Rent(q.Rows, inner);
        _backend.Attention(qp, kp, vp, heads, attended);
        var result = arena.Rent(q.Rows, _out.OutFeatures);
        _backend.Linear(attended, _out, result);
        return result;
    }
}
