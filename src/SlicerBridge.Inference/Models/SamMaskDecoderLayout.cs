namespace SlicerBridge.Inference.Models;

/// <summary>
/// The state-dict keys of SAM's mask decoder, shared by the 3-D (SAM-Med3D) and 2-D (SAM-Med2D) families: two-way
/// transformer layers, final token→image attention, IoU and mask tokens, the transposed-convolution upscaling
/// (kernels of <paramref name="spatialRank"/> axes) and the hypernetwork and IoU-head MLPs.
/// </summary>
public static class SamMaskDecoderLayout
{
    public static IEnumerable<(string Name, int[] Shape)> Expected(int dim, int crossDim, int depth, int mlpDim, int maskTokens,
        int iouHeadDepth, int iouHeadHidden, int spatialRank)
    {
        const string D = "mask_decoder.";
        static IEnumerable<(string, int[])> Attn(string prefix, int dim, int inner)
        {
            foreach (var n in new[] { "q_proj", "k_proj", "v_proj" })
            {
                yield return ($"{prefix}.{n}.weight", [inner, dim]);
                yield return ($"{prefix}.{n}.bias", [inner]);
            }
            yield return ($"{prefix}.out_proj.weight", [dim, inner]);
            yield return ($"{prefix}.out_proj.bias", [dim]);
        }
        int o = dim;
        for (int l = 0; l < depth; l++)
        {
            string b = $"{D}transformer.layers.{l}.";
            // In the modules' own order (TwoWayAttentionBlock), as state_dict() lists them.
            foreach (var x in Attn(b + "self_attn", o, o)) yield return x;
            yield return (b + "norm1.weight", [o]);
            yield return (b + "norm1.bias", [o]);
            foreach (var x in Attn(b + "cross_attn_token_to_image", o, crossDim)) yield return x;
            yield return (b + "norm2.weight", [o]);
            yield return (b + "norm2.bias", [o]);
            yield return (b + "mlp.lin1.weight", [mlpDim, o]);
            yield return (b + "mlp.lin1.bias", [mlpDim]);
            yield return (b + "mlp.lin2.weight", [o, mlpDim]);
            yield return (b + "mlp.lin2.bias", [o]);
            yield return (b + "norm3.weight", [o]);
            yield return (b + "norm3.bias", [o]);
            yield return (b + "norm4.weight", [o]);
            yield return (b + "norm4.bias", [o]);
            foreach (var x in Attn(b + "cross_attn_image_to_token", o, crossDim)) yield return x;
        }
        foreach (var x in Attn(D + "transformer.final_attn_token_to_image", o, crossDim)) yield return x;
        yield return (D + "transformer.norm_final_attn.weight", [o]);
        yield return (D + "transformer.norm_final_attn.bias", [o]);
        yield return (D + "iou_token.weight", [1, o]);
        yield return (D + "mask_tokens.weight", [maskTokens, o]);
        int[] kernel = [.. Enumerable.Repeat(2, spatialRank)];
        yield return (D + "output_upscaling.0.weight", [o, o / 4, .. kernel]);
        yield return (D + "output_upscaling.0.bias", [o / 4]);
        yield return (D + "output_upscaling.1.weight", [o / 4]);
        yield return (D + "output_upscaling.1.bias", [o / 4]);
        yield return (D + "output_upscaling.3.weight", [o / 4, o / 8, .. kernel]);
        yield return (D + "output_upscaling.3.bias", [o / 8]);
        for (int m = 0; m < maskTokens; m++)
        {
            string b = $"{D}output_hypernetworks_mlps.{m}.layers.";
            yield return (b + "0.weight", [o, o]);
            yield return (b + "0.bias", [o]);
            yield return (b + "1.weight", [o, o]);
            yield return (b + "1.bias", [o]);
            yield return (b + "2.weight", [o / 8, o]);
            yield return (b + "2.bias", [o / 8]);
        }
        int[] dims = [o, .. Enumerable.Repeat(iouHeadHidden, iouHeadDepth - 1), maskTokens];
        for (int l = 0; l < iouHeadDepth; l++)
        {
            yield return ($"{D}iou_prediction_head.layers.{l}.weight", [dims[l + 1], dims[l]]);
            yield return ($"{D}iou_prediction_head.layers.{l}.bias", [dims[l + 1]]);
        }
    }
}
