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

    /// <summary>Returns out_proj(attention(q, k, v)) as a new [Nq, dim] tensor.</summary>
    public Tensor Forward(Tensor q, Tensor k, Tensor v)
    {
        int inner = _q.OutFeatures;
        var qp = Tensor.Zeros(q.Rows, inner);
        var kp = Tensor.Zeros(k.Rows, inner);
        var vp = Tensor.Zeros(v.Rows, inner);
        _backend.Linear(q, _q, qp);
        _backend.Linear(k, _k, kp);
        _backend.Linear(v, _v, vp);
        var attended = Tensor.Zeros(q.Rows, inner);
        _backend.Attention(qp, kp, vp, heads, attended);
        var result = Tensor.Zeros(q.Rows, _out.OutFeatures);
        _backend.Linear(attended, _out, result);
        return result;
    }
}
