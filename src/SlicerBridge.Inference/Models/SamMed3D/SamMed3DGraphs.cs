using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The two ONNX graphs of SAM-Med3D, built from a configuration over a checkpoint's weights: the image encoder
/// (normalised crop → embedding) and the prompt encoder + mask decoder (embedding, clicks, previous logits → logits).
/// Input and output names follow the SAM ONNX exports (<c>image_embeddings</c> aside: one image per call here).
/// Inputs and outputs are float32 in both precisions.
/// </summary>
public static class SamMed3DGraphs
{
    public const string Image = "image";
    public const string Embedding = "image_embedding";
    public const string PointCoords = "point_coords";
    public const string PointLabels = "point_labels";
    public const string MaskInput = "mask_input";
    public const string LowResLogits = "low_res_logits";
    public const string Iou = "iou";
    public const string SparseEmbeddings = "sparse_embeddings";
    public const string DenseEmbeddings = "dense_embeddings";
    public const string DensePe = "dense_pe";

    /// <summary>image [1, 1, S, S, S] (masked z-normalised crop) → image_embedding [1, C, G, G, G].</summary>
    public static GraphBuilder Encoder(SamMed3DConfig c, WeightSet weights, ModelPrecision precision = ModelPrecision.Fp32)
    {
        var g = new GraphBuilder("sam_med3d_image_encoder", weights, precision);
        int s = c.ImageSize, grid = c.Grid;
        var image = g.Input(Image, 1, 1, s, s, s);
        g.Output(ImageEncoder.Build(g, c, image), Embedding, 1, c.PromptEmbedDim, grid, grid, grid);
        return g;
    }

    /// <summary>
    /// image_embedding [1, C, G, G, G], point_coords [1, N, 3] (crop voxels along A0, A1, A2), point_labels [1, N]
    /// (1 positive, 0 negative), mask_input [1, 1, R, R, R] (previous low-res logits, zeros for the first click)
    /// → low_res_logits [1, 1, R, R, R], iou [1, 1], and the prompt embeddings and dense PE for parity checks.
    /// </summary>
    public static GraphBuilder Decoder(SamMed3DConfig c, WeightSet weights, ModelPrecision precision = ModelPrecision.Fp32)
    {
        var g = new GraphBuilder("sam_med3d_prompt_mask_decoder", weights, precision);
        int grid = c.Grid, o = c.PromptEmbedDim, r = c.LowResSize;
        var embedding = g.Input(Embedding, 1, o, grid, grid, grid);
        var coords = g.InputFp32(PointCoords, 1, "points", 3);
        var labels = g.InputFp32(PointLabels, 1, "points");
        var mask = g.Input(MaskInput, 1, 1, r, r, r);

        string sparse, dense, densePe;
        using (g.Scope("prompt"))
        {
            sparse = PromptEncoder.EmbedPoints(g, c, g.Reshape(coords, [-1, 3]), g.Reshape(labels, [-1, 1]));
            dense = PromptEncoder.EmbedMask(g, mask);
            densePe = PromptEncoder.DensePe(g, c);
        }
        var (logits, iou) = MaskDecoder.Build(g, c, embedding, dense, densePe, sparse);

        g.Output(logits, LowResLogits, 1, 1, r, r, r);
        g.Output(iou, Iou, 1, 1);
        g.Output(g.ToCompute(g.Unsqueeze(sparse, [0])), SparseEmbeddings, 1, "tokens", o);
        g.Output(dense, DenseEmbeddings, 1, o, grid, grid, grid);
        g.Output(g.ToCompute(g.Reshape(g.Transpose(densePe, [1, 0]), [1, o, grid, grid, grid])), DensePe, 1, o, grid, grid, grid);
        return g;
    }
}
