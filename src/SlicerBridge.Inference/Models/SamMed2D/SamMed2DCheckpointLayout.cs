namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// Every state-dict key a configuration needs, with its PyTorch shape, in state_dict order (spec Appendix A: 386 tensors
/// for the released model; Appendix B: 226 for the fixture). Unlike the official non-strict load, a missing key is an
/// error: a checkpoint without adapters would otherwise run with random ones.
/// </summary>
public static class SamMed2DCheckpointLayout
{
    public static IEnumerable<(string Name, int[] Shape)> Expected(SamMed2DConfig c)
    {
        int dim = c.EmbedDim, g = c.Grid, p = c.PatchSize, o = c.PromptEmbedDim, hd = c.HeadDim;
        const string E = "image_encoder.";
        yield return (E + "pos_embed", [1, g, g, dim]);
        yield return (E + "patch_embed.proj.weight", [dim, 3, p, p]);
        yield return (E + "patch_embed.proj.bias", [dim]);
        for (int i = 0; i < c.Depth; i++)
        {
            string b = $"{E}blocks.{i}.";
            int rel = 2 * c.WindowOf(i) - 1;
            yield return (b + "norm1.weight", [dim]);
            yield return (b + "norm1.bias", [dim]);
            yield return (b + "attn.rel_pos_h", [rel, hd]);
            yield return (b + "attn.rel_pos_w", [rel, hd]);
            yield return (b + "attn.qkv.weight", [3 * dim, dim]);
            yield return (b + "attn.qkv.bias", [3 * dim]);
            yield return (b + "attn.proj.weight", [dim, dim]);
            yield return (b + "attn.proj.bias", [dim]);
            yield return (b + "norm2.weight", [dim]);
            yield return (b + "norm2.bias", [dim]);
            yield return (b + "mlp.lin1.weight", [c.MlpRatio * dim, dim]);
            yield return (b + "mlp.lin1.bias", [c.MlpRatio * dim]);
            yield return (b + "mlp.lin2.weight", [dim, c.MlpRatio * dim]);
            yield return (b + "mlp.lin2.bias", [dim]);
            if (!c.EncoderAdapter) continue;
            yield return (b + "Adapter.norm.weight", [dim]);
            yield return (b + "Adapter.norm.bias", [dim]);
            yield return (b + "Adapter.channel.0.weight", [c.AdapterHidden, dim]);
            yield return (b + "Adapter.channel.2.weight", [dim, c.AdapterHidden]);
            yield return (b + "Adapter.spatial.0.weight", [dim, dim, 3, 3]);
            yield return (b + "Adapter.spatial.2.weight", [dim, dim, 4, 4]);
        }
        yield return (E + "neck.0.weight", [o, dim, 1, 1]);
        yield return (E + "neck.1.weight", [o]);
        yield return (E + "neck.1.bias", [o]);
        yield return (E + "neck.2.weight", [o, o, 3, 3]);
        yield return (E + "neck.3.weight", [o]);
        yield return (E + "neck.3.bias", [o]);

        const string P = "prompt_encoder.";
        int q = c.MaskInChans / 4;
        yield return (P + "pe_layer.positional_encoding_gaussian_matrix", [2, o / 2]);
        for (int i = 0; i < 4; i++) yield return ($"{P}point_embeddings.{i}.weight", [1, o]);
        yield return (P + "not_a_point_embed.weight", [1, o]);
        yield return (P + "mask_downscaling.0.weight", [q, 1, 2, 2]);
        yield return (P + "mask_downscaling.0.bias", [q]);
        yield return (P + "mask_downscaling.1.weight", [q]);
        yield return (P + "mask_downscaling.1.bias", [q]);
        yield return (P + "mask_downscaling.3.weight", [c.MaskInChans, q, 2, 2]);
        yield return (P + "mask_downscaling.3.bias", [c.MaskInChans]);
        yield return (P + "mask_downscaling.4.weight", [c.MaskInChans]);
        yield return (P + "mask_downscaling.4.bias", [c.MaskInChans]);
        yield return (P + "mask_downscaling.6.weight", [o, c.MaskInChans, 1, 1]);
        yield return (P + "mask_downscaling.6.bias", [o]);
        yield return (P + "no_mask_embed.weight", [1, o]);

        foreach (var x in SamMaskDecoderLayout.Expected(o, o / c.AttentionDownsampleRate, c.DecoderDepth, c.DecoderMlpDim, c.NumMaskTokens,
                     c.IouHeadDepth, c.IouHeadHiddenDim, spatialRank: 2))
            yield return x;
    }
}
