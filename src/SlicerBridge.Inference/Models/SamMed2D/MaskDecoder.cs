using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// Mask decoder (spec §4): all mask tokens' logits and IoU predictions; the predictor picks among them on the host
/// (best of tokens 1–3 when multimask, token 0 otherwise).
/// </summary>
public static class MaskDecoder
{
    private const string D = "mask_decoder";

    /// <summary>
    /// embedding and dense prompt [1, C, G, G], dense PE [G², C], sparse tokens [N, C]
    /// → (low-res logits [1, M, R, R], IoU [1, M]) with M mask tokens and R = 4G.
    /// </summary>
    public static (string LowResLogits, string Iou) Build(GraphBuilder g, SamMed2DConfig c, string embedding, string dense, string densePe, string sparse)
    {
        int grid = c.Grid, t = grid * grid, dim = c.PromptEmbedDim, r = c.LowResSize, m = c.NumMaskTokens;
        var tokens = g.Concat(0, [g.Weight(D + ".iou_token.weight"), g.Weight(D + ".mask_tokens.weight"), sparse], "tokens");
        var image = g.Transpose(g.Reshape(g.Add(embedding, dense), [dim, t]), [1, 0]);
        var (queries, keys) = TwoWayTransformer.Build(g, c, tokens, image, densePe);

        using var scope = g.Scope("head");
        // Upscaling: ConvTranspose k2 s2 → LayerNorm2d → GELU → ConvTranspose k2 s2 → GELU: [1, C/8, R, R].
        var x = g.Reshape(g.Transpose(keys, [1, 0]), [1, dim, grid, grid]);
        x = g.ConvTranspose2d(x, g.Weight(D + ".output_upscaling.0.weight"), g.Weight(D + ".output_upscaling.0.bias"), 2, 2, 0);
        x = g.Gelu(ImageEncoder.LayerNorm2d(g, x, D + ".output_upscaling.1", 1e-6f));
        x = g.ConvTranspose2d(x, g.Weight(D + ".output_upscaling.3.weight"), g.Weight(D + ".output_upscaling.3.bias"), 2, 2, 0);
        var upscaled = g.Reshape(g.Gelu(x), [dim / 8, r * r], "upscaled");

        string Token(int i) => g.Gather(queries, g.Constant([(long)i], 1));
        var hyper = g.Concat(0, [.. Enumerable.Range(0, m).Select(i => g.Mlp(Token(1 + i), $"{D}.output_hypernetworks_mlps.{i}.layers", 3, $"hyper{i}"))]);
        var logits = g.Reshape(g.MatMul(hyper, upscaled), [1, m, r, r], "low_res_logits");
        var iou = g.Mlp(Token(0), D + ".iou_prediction_head.layers", c.IouHeadDepth, "iou");
        return (logits, iou);
    }
}
