using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The mask decoder's two-way transformer (spec §4 step 3): per layer, token self-attention, tokens → image,
/// MLP (ReLU), image → tokens; then a final tokens → image attention. Self-attention keeps the full width;
/// cross-attentions run at half width. Its LayerNorms use PyTorch's default eps 1e-5. The token and image streams (and
/// their norms) are float32 in every precision; the attentions and the MLP run in the compute type.
/// </summary>
public static class TwoWayTransformer
{
    private const float Eps = 1e-5f;
    private const string T = "mask_decoder.transformer";

    /// <summary>
    /// tokens [Nt, C] (also their own PE), image [G³, C] (embedding + dense prompt), imagePe [G³, C], all float32
    /// → (queries [Nt, C], keys [G³, C]), float32.
    /// </summary>
    public static (string Queries, string Keys) Build(GraphBuilder g, SamMed3DConfig c, string tokens, string image, string imagePe)
    {
        int heads = c.DecoderHeads, dim = c.PromptEmbedDim, cross = dim / 2;
        string queries = tokens, keys = image;
        string Attend(string q, string k, string v, string prefix, int inner) =>
            g.ToFloat32(g.Attention(g.ToCompute(q), g.ToCompute(k), g.ToCompute(v), prefix, heads, inner));
        for (int i = 0; i < c.DecoderDepth; i++)
        {
            string p = $"{T}.layers.{i}";
            using var scope = g.Scope($"dec.{i}");
            if (i == 0)
            {
                // Layer 0: queries are replaced by their self-attention, with no residual and no PE (official code).
                queries = Attend(queries, queries, queries, p + ".self_attn", dim);
            }
            else
            {
                var q = g.Add(queries, tokens);
                queries = g.Add(queries, Attend(q, q, queries, p + ".self_attn", dim));
            }
            queries = g.LayerNorm(queries, p + ".norm1", Eps);

            var keysWithPe = g.Add(keys, imagePe);   // keys change only at the end of the layer: both cross-attentions use it
            var tokenToImage = Attend(g.Add(queries, tokens), keysWithPe, keys, p + ".cross_attn_token_to_image", cross);
            queries = g.LayerNorm(g.Add(queries, tokenToImage), p + ".norm2", Eps);

            var mlp = g.ToFloat32(g.Linear(g.Relu(g.Linear(g.ToCompute(queries), p + ".mlp.lin1")), p + ".mlp.lin2"));
            queries = g.LayerNorm(g.Add(queries, mlp), p + ".norm3", Eps);

            var imageToToken = Attend(keysWithPe, g.Add(queries, tokens), queries, p + ".cross_attn_image_to_token", cross);
            keys = g.LayerNorm(g.Add(keys, imageToToken), p + ".norm4", Eps, "keys");
        }
        using (g.Scope("dec.final"))
        {
            var final = Attend(g.Add(queries, tokens), g.Add(keys, imagePe), keys, T + ".final_attn_token_to_image", cross);
            queries = g.LayerNorm(g.Add(queries, final), T + ".norm_final_attn", Eps, "queries");
        }
        return (queries, keys);
    }
}
