namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>Every state-dict key a configuration needs, with its PyTorch shape (spec Appendix A: 324 tensors for turbo).</summary>
public static class SamMed3DCheckpointLayout
{
    public static IEnumerable<(string Name, int[] Shape)> Expected(SamMed3DConfig c)
    {
        int dim = c.EmbedDim, g = c.Grid, p = c.PatchSize, o = c.PromptEmbedDim, hd = c.HeadDim;
        const string E = "image_encoder.";
        yield return (E + "pos_embed", [1, g, g, g, dim]);
        yield return (E + "patch_embed.proj.weight", [dim, 1, p, p, p]);
        yield return (E + "patch_embed.proj.bias", [dim]);
        for (int i = 0; i < c.Depth; i++)
        {
            string b = $"{E}blocks.{i}.";
            int rel = 2 * (c.IsGlobal(i) || c.WindowSize == 0 ? g : c.WindowSize) - 1;
            yield return (b + "norm1.weight", [dim]);
            yield return (b + "norm1.bias", [dim]);
            yield return (b + "attn.rel_pos_d", [rel, hd]);
            yield return (b + "attn.rel_pos_h", [rel, hd]);
            yield return (b + "attn.rel_pos_w", [rel, hd]);
            yield return (b + "attn.qkv.weight", [3 * dim, dim]);
            yield return (b + "attn.qkv.bias", [3 * dim]);
            yield return (b + "attn.proj.weight", [dim, dim]);
            yield return (b + "attn.proj.bias", [dim]);
            yield return (b + "norm2.weight", [dim]);
            yield return (b + "norm2.bias", [dim]);
            yield return (b + "mlp.lin1.weight", [4 * dim, dim]);
            yield return (b + "mlp.lin1.bias", [4 * dim]);
            yield return (b + "mlp.lin2.weight", [dim, 4 * dim]);
            yield return (b + "mlp.lin2.bias", [dim]);
        }
        yield return (E + "neck.0.weight", [o, dim, 1, 1, 1]);
        yield return (E + "neck.1.weight", [o]);
        yield return (E + "neck.1.bias", [o]);
        yield return (E + "neck.2.weight", [o, o, 3, 3, 3]);
        yield return (E + "neck.3.weight", [o]);
        yield return (E + "neck.3.bias", [o]);

        const string P = "prompt_encoder.";
        int q = c.MaskInChans / 4;
        yield return (P + "pe_layer.positional_encoding_gaussian_matrix", [3, o / 3]);
        yield return (P + "point_embeddings.0.weight", [1, o]);
        yield return (P + "point_embeddings.1.weight", [1, o]);
        yield return (P + "not_a_point_embed.weight", [1, o]);
        yield return (P + "mask_downscaling.0.weight", [q, 1, 2, 2, 2]);
        yield return (P + "mask_downscaling.0.bias", [q]);
        yield return (P + "mask_downscaling.1.weight", [q]);
        yield return (P + "mask_downscaling.1.bias", [q]);
        yield return (P + "mask_downscaling.3.weight", [c.MaskInChans, q, 2, 2, 2]);
        yield return (P + "mask_downscaling.3.bias", [c.MaskInChans]);
        yield return (P + "mask_downscaling.4.weight", [c.MaskInChans]);
        yield return (P + "mask_downscaling.4.bias", [c.MaskInChans]);
        yield return (P + "mask_downscaling.6.weight", [o, c.MaskInChans, 1, 1, 1]);
        yield return (P + "mask_downscaling.6.bias", [o]);
        yield return (P + "no_mask_embed.weight", [1, o]);

        foreach (var x in SamMaskDecoderLayout.Expected(o, o / 2, c.DecoderDepth, c.DecoderMlpDim, c.NumMaskTokens,
                     c.IouHeadDepth, c.IouHeadHiddenDim, spatialRank: 3))
            yield return x;
    }
}
