using System.Text.Json.Nodes;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// SAM-Med2D as files for other hosts: <c>encoder.onnx</c> and <c>decoder.onnx</c> over one external weights file, and
/// a manifest with what the graphs leave to the caller (normalisation, resize, coordinates, padding point, mask prompt,
/// multimask choice, post-processing).
/// </summary>
public static class SamMed2DExport
{
    public const string EncoderFile = "encoder.onnx", DecoderFile = "decoder.onnx", WeightsFile = "sam-med2d.weights";

    public static void Write(string checkpointPath, SamMed2DConfig config, string folder)
    {
        config.Validate();
        Directory.CreateDirectory(folder);
        using var checkpoint = CheckpointReader.Open(checkpointPath);
        using var weights = new WeightSet(folder, WeightsFile);
        SamMed2DWeights.ReadInto(checkpoint, config, weights);
        int s = config.ImageSize, r = config.LowResSize;
        var manifest = new JsonObject
        {
            ["kind"] = "sam-med2d",
            ["checkpoint"] = Path.GetFileName(checkpointPath),
            ["config"] = config.ToJson(),
            ["preprocessing"] = new JsonObject
            {
                ["image"] = "H x W x 3 uint8 (grey replicated; colour frames in BGR order, as training read them)",
                ["normalisation"] = "float32 (u8 - pixel_mean[c]) / pixel_std[c] per channel, at the original size",
                ["resize"] = $"nearest neighbour to {s} x {s} without keeping the aspect ratio: src = min(floor(dst * (1 / ({s} / len))), len - 1) in double (OpenCV INTER_NEAREST)",
            },
            ["prompts"] = new JsonObject
            {
                ["point_coords"] = $"model pixels: x * {s} / W, y * {s} / H (float64, then float32); +0.5 is added inside",
                ["point_labels"] = "1 positive, 0 negative, 2 and 3 box corners (x0, y0) and (x1, y1); append the point (0, 0) with label -1 when there is no box",
                ["mask_input"] = $"sigmoid of the previous selected low-res logits ({r} x {r}); has_mask_input 0 and any values when there is none",
            },
            ["postprocessing"] = $"multimask: the mask token among 1..{config.NumMultimaskOutputs} with the highest iou_predictions (first on ties), else token 0; bilinear (align_corners false) {r} -> {s}, then {s} -> H x W; logit > 0",
        };
        OnnxExport.Write(folder, weights,
            [("encoder", EncoderFile, SamMed2DGraphs.Encoder(config, weights)), ("decoder", DecoderFile, SamMed2DGraphs.Decoder(config, weights))], manifest);
    }
}
