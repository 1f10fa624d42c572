using SlicerBridge.Inference.Tensors;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// Mask decoder (spec §4) with multimask_output = false, as every official script calls it: only mask token 0's
/// hypernetwork and the first IoU output are computed (tokens 1..3 still take part in the transformer).
/// </summary>
public sealed class MaskDecoder
{
    private readonly SamMed3DConfig _config;
    private readonly ITensorBackend _backend;
    private readonly TwoWayTransformer _transformer;
    private readonly float[] _iouToken, _maskTokens;
    private readonly LinearWeights _up0, _up3;
    private readonly float[] _upNormW, _upNormB;
    private readonly LinearWeights[] _hyper0, _iouHead;

    public MaskDecoder(SamMed3DConfig config, SamWeights weights)
    {
        _config = config;
        _backend = weights.Backend;
        const string D = "mask_decoder.";
        _transformer = new TwoWayTransformer(config, weights);
        _iouToken = weights.Keep(D + "iou_token.weight");
        _maskTokens = weights.Keep(D + "mask_tokens.weight");
        _up0 = weights.ConvTranspose2(D + "output_upscaling.0");
        _upNormW = weights.Keep(D + "output_upscaling.1.weight");
        _upNormB = weights.Keep(D + "output_upscaling.1.bias");
        _up3 = weights.ConvTranspose2(D + "output_upscaling.3");
        _hyper0 = Enumerable.Range(0, 3).Select(l => weights.Linear($"{D}output_hypernetworks_mlps.0.layers.{l}")).ToArray();
        _iouHead = Enumerable.Range(0, config.IouHeadDepth).Select(l => weights.Linear($"{D}iou_prediction_head.layers.{l}")).ToArray();
    }

    /// <summary>Image embedding, dense PE and dense prompt [G³, C]; sparse tokens [N+1, C] → mask-0 low-res logits ((4G)³) and IoU 0.</summary>
    public (float[] LowResLogits, float Iou) Forward(Tensor embedding, Tensor densePe, Tensor sparse, Tensor dense, TensorArena arena)
    {
        int c = _config.PromptEmbedDim, g = _config.Grid, nOut = 1 + _config.NumMaskTokens;
        var tokens = Tensor.Zeros(nOut + sparse.Rows, c);
        _iouToken.CopyTo(tokens.Data, 0);
        _maskTokens.CopyTo(tokens.Data, c);
        sparse.Data.CopyTo(tokens.Data, nOut * c);
        var queries = arena.Copy(tokens);
        var keys = arena.Copy(embedding);
        _backend.Add(dense, keys);
        _transformer.Forward(queries, keys, tokens, densePe, arena);

        // Upscaling: ConvT k2 s2 → LayerNorm3d → GELU → ConvT k2 s2 → GELU, as GEMMs plus depth-to-space.
        var u1 = arena.Rent(g * g * g, _up0.OutFeatures);
        _backend.Linear(keys, _up0, u1);
        var x1 = arena.Rent(8 * g * g * g, _up0.OutFeatures / 8);
        _backend.DepthToSpace2(u1, g, x1);
        _backend.LayerNorm(x1, _upNormW, _upNormB, 1e-6f, x1);
        _backend.Activate(x1, Activation.Gelu);
        // The last ConvT's GELU runs in place before the scatter; scatter and hypernetwork dot are one op (mask 0 only).
        var u2 = arena.Rent(x1.Rows, _up3.OutFeatures);
        _backend.Linear(x1, _up3, u2, Activation.Gelu);
        var w = Mlp(_hyper0, new Tensor(queries.Row(1).ToArray(), 1, c));
        var logits = new float[8 * x1.Rows];
        _backend.DepthToSpace2Dot(u2, 2 * g, w.Data, logits);
        var iou = Mlp(_iouHead, new Tensor(queries.Row(0).ToArray(), 1, c));
        return (logits, iou.Data[0]);
    }

    /// <summary>Linear layers with ReLU between them (the official MLP class).</summary>
    private Tensor Mlp(LinearWeights[] layers, Tensor x)
    {
        for (int i = 0; i < layers.Length; i++)
        {
            var y = Tensor.Zeros(x.Rows, layers[i].OutFeatures);
            _backend.Linear(x, layers[i], y, i < layers.Length - 1 ? Activation.Relu : Activation.None);
            x = y;
        }
        return x;
    }
}
