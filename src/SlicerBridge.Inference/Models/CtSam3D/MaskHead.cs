using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// The decoder's outputs (spec §4.1 steps 11-13): a 3³ conv to (multimask + 1) channels and a sigmoid; channel 0 is the
/// mask probability (multimask_output = False). The IoU head (mean over voxels → MLP with ReLU) is kept for parity
/// only: nothing uses it and nothing indicates it was trained.
/// </summary>
public static class MaskHead
{
    /// <summary>x [1, C/4, 64, 64, 64] → (probability [1, 1, 64, 64, 64], iou [1, 1]).</summary>
    public static (string Probability, string Iou) Build(GraphBuilder g, CtSam3DConfig c, string x)
    {
        const string D = CtSam3DCheckpointLayout.Decoder;
        using var _ = g.Scope("head");
        var logits = g.Conv(x, g.Weight(D + "mask_prediction_head.0.weight"), g.Weight(D + "mask_prediction_head.0.bias"), 3, 1, 1);
        var probability = g.Sigmoid(g.Slice(logits, [0], [1], [1]), "probability");
        var pooled = g.Reshape(g.ReduceMean(x, [2, 3, 4], keepDims: false), [1, c.TransformerDim / 4]);
        var iou = g.Slice(g.Mlp(pooled, D + "iou_prediction_head.layers", c.IouHeadDepth), [0], [1], [1], "iou");
        return (probability, iou);
    }
}
