using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// The two ONNX graphs of SAM-Med2D over a checkpoint's weights: the image encoder (normalised, resized frame →
/// embedding) and the prompt encoder + mask decoder (embedding, prompt tokens, mask prompt → every mask token's logits
/// and IoU). Names follow the official ONNX export where they can (spec §7.7), but the predictor's rules hold: the caller
/// appends the padding point (label −1) when there is no box, and the mask prompt is a probability.
/// </summary>
public static class SamMed2DGraphs
{
    public const string Image = "image";
    public const string Embedding = "image_embeddings";
    public const string PointCoords = "point_coords";
    public const string PointLabels = "point_labels";
    public const string MaskInput = "mask_input";
    public const string HasMaskInput = "has_mask_input";
    public const string LowResMasks = "low_res_masks";
    public const string IouPredictions = "iou_predictions";
    public const string SparseEmbeddings = "sparse_embeddings";
    public const string DenseEmbeddings = "dense_embeddings";
    public const string DensePe = "dense_pe";

    /// <summary>image [1, 3, S, S] → image_embeddings [1, C, G, G].</summary>
    public static GraphBuilder Encoder(SamMed2DConfig c, WeightSet weights)
    {
        var g = new GraphBuilder("sam_med2d_image_encoder", weights);
        int s = c.ImageSize, grid = c.Grid;
        var image = g.Input(Image, 1, 3, s, s);
        g.Output(ImageEncoder.Build(g, c, image), Embedding, 1, c.PromptEmbedDim, grid, grid);
        return g;
    }

    /// <summary>
    /// image_embeddings [1, C, G, G], point_coords [1, N, 2] (model pixels x, y; N may be 0), point_labels [1, N]
    /// (1 positive, 0 negative, −1 padding, 2/3 box corners), mask_input [1, 1, R, R] (a probability), has_mask_input [1]
    /// → low_res_masks [1, M, R, R], iou_predictions [1, M], and the prompt embeddings and dense PE for parity checks.
    /// </summary>
    public static GraphBuilder Decoder(SamMed2DConfig c, WeightSet weights)
    {
        var g = new GraphBuilder("sam_med2d_prompt_mask_decoder", weights);
        int grid = c.Grid, o = c.PromptEmbedDim, r = c.LowResSize, m = c.NumMaskTokens;
        var embedding = g.Input(Embedding, 1, o, grid, grid);
        var coords = g.Input(PointCoords, 1, "tokens", 2);
        var labels = g.Input(PointLabels, 1, "tokens");
        var mask = g.Input(MaskInput, 1, 1, r, r);
        var hasMask = g.Input(HasMaskInput, 1);

        string sparse, dense, densePe;
        using (g.Scope("prompt"))
        {
            sparse = PromptEncoder.EmbedPoints(g, c, g.Reshape(coords, [-1, 2]), g.Reshape(labels, [-1, 1]));
            dense = PromptEncoder.EmbedMask(g, c, mask, hasMask);
            densePe = PromptEncoder.DensePe(g, c);
        }
        var (logits, iou) = MaskDecoder.Build(g, c, embedding, dense, densePe, sparse);

        g.Output(logits, LowResMasks, 1, m, r, r);
        g.Output(iou, IouPredictions, 1, m);
        g.Output(g.Unsqueeze(sparse, [0]), SparseEmbeddings, 1, "tokens", o);
        g.Output(dense, DenseEmbeddings, 1, o, grid, grid);
        g.Output(g.Reshape(g.Transpose(densePe, [1, 0]), [1, o, grid, grid]), DensePe, 1, o, grid, grid);
        return g;
    }
}
