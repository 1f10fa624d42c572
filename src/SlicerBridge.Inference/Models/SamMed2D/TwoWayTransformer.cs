using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// The mask decoder's two-way transformer (spec §4 step 3), SAM's unchanged: per layer, token self-attention (layer 0
/// without residual and PE), tokens → image, MLP (ReLU), image → tokens; then a final tokens → image attention.
/// Cross-attentions run at width C / downsample rate. LayerNorm eps 1e-5.
/// </summary>
public static class TwoWayTransformer
{
    private const float Eps = 1e-5f;
    private const string T = "mask_decoder.transformer";

    /// <summary>tokens [Nt, C] (also their own PE), image [G², C] (embedding + dense prompt), imagePe [G², C] → (queries, keys).</summary>
    public static (string Queries, string Keys) Build(GraphBuilder g, SamMed2DConfig c, string tokens, string image, string imagePe)
    {
        int heads = c.DecoderHeads, dim = c.PromptEmbedDim, cross = dim / c.AttentionDownsampleRate;
        string queries = tokens, keys = image;
        for (int i = 0; i < c.DecoderDepth; i++)
        {
            string p = $"{T}.layers.{i}";
            using var scope = g.Scope($"dec.{i}");
            if (i == 0) queries = g.Attention(queries, queries, queries, p + ".self_attn", heads, dim);
            else
            {
                var q = g.Add(queries, tokens);
                queries = g.Add(queries, g.Attention(q, q, queries, p + ".self_attn", heads, dim));
            }
            queries = g.LayerNorm(queries, p + ".norm1", Eps);

            var keysWithPe = g.Add(keys, imagePe);
            var tokenToImage = g.Attention(g.Add(queries, tokens), keysWithPe, keys, p + ".cross_attn_token_to_image", heads, cross);
            queries = g.LayerNorm(g.Add(queries, tokenToImage), p + ".norm2", Eps);

            var mlp = g.Linear(g.Relu(g.Linear(queries, p + ".mlp.lin1")), p + ".mlp.lin2");
            queries = g.LayerNorm(g.Add(queries, mlp), p + ".norm3", Eps);

            var imageToToken = g.Attention(keysWithPe, g.Add(queries, tokens), queries, p + ".cross_attn_image_to_token", heads, cross);
            keys = g.LayerNorm(g.Add(keys, imageToToken), p + ".norm4", Eps, "keys");
        }
        using (g.Scope("dec.final"))
        {
            var final = g.Attention(g.Add(queries, tokens), g.Add(keys, imagePe), keys, T + ".final_attn_token_to_image", heads, cross);
            queries = g.LayerNorm(g.Add(queries, final), T + ".norm_final_attn", Eps, "queries");
        }
        return (queries, keys);
    }
}
