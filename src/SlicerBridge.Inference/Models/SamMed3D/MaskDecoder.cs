using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// Mask decoder (spec §4) with multimask_output = false, as every official script calls it: only mask token 0's
/// hypernetwork and the first IoU output are computed (tokens 1..3 still take part in the transformer).
/// </summary>
public static class MaskDecoder
{
    private const string D = "mask_decoder";

    /// <summary>
    /// embedding and dense prompt [1, C, G, G, G] (compute type), dense PE [G³, C] and sparse tokens [N+1, C] (float32)
    /// → (low-res logits [1, 1, R, R, R], IoU [1, 1]) in the compute type.
    /// </summary>
    public static (string LowResLogits, string Iou) Build(GraphBuilder g, SamMed3DConfig c, string embedding, string dense, string densePe, string sparse)
    {
        int grid = c.Grid, t = grid * grid * grid, dim = c.PromptEmbedDim, r = c.LowResSize;
        var tokens = g.Concat(0, [g.WeightFp32(D + ".iou_token.weight"), g.WeightFp32(D + ".mask_tokens.weight"), sparse], "tokens");
        var image = g.Transpose(g.Reshape(g.Add(g.ToFloat32(embedding), g.ToFloat32(dense)), [dim, t]), [1, 0]);
        var (queries, keys) = TwoWayTransformer.Build(g, c, tokens, image, densePe);

        using var scope = g.Scope("head");
        // Upscaling: ConvTranspose k2 s2 → LayerNorm3d → GELU → ConvTranspose k2 s2 → GELU: [1, C/8, R, R, R].
        var x = g.Reshape(g.Transpose(g.ToCompute(keys), [1, 0]), [1, dim, grid, grid, grid]);
        x = g.ConvTranspose(x, g.Weight(D + ".output_upscaling.0.weight"), g.Weight(D + ".output_upscaling.0.bias"), 2);
        x = g.Gelu(g.LayerNorm3d(x, D + ".output_upscaling.1", 1e-6f));
        x = g.ConvTranspose(x, g.Weight(D + ".output_upscaling.3.weight"), g.Weight(D + ".output_upscaling.3.bias"), 2);
        var upscaled = g.Reshape(g.Gelu(x), [dim / 8, r * r * r], "upscaled");

        string Token(int i) => g.ToCompute(g.Reshape(g.Gather(queries, g.Constant([(long)i])), [1, dim]));
        var hyper = g.Mlp(Token(1), D + ".output_hypernetworks_mlps.0.layers", 3, "hyper0");     // [1, C/8]
        var logits = g.Reshape(g.MatMul(hyper, upscaled), [1, 1, r, r, r], "low_res_logits");
        var iou = g.Slice(g.Mlp(Token(0), D + ".iou_prediction_head.layers", c.IouHeadDepth), [0], [1], [1], "iou");
        return (logits, iou);
    }
}
