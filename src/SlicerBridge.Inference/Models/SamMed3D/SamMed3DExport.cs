using System.Text.Json.Nodes;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// SAM-Med3D as files for other hosts: <c>encoder.onnx</c> and <c>decoder.onnx</c> over one external weights file, and a
/// manifest that says what the graphs do not (spacing, orientation, crop, normalisation, prompts, post-processing).
/// </summary>
public static class SamMed3DExport
{
    public const string EncoderFile = "encoder.onnx", DecoderFile = "decoder.onnx", WeightsFile = "sam-med3d.weights";

    public static void Write(string checkpointPath, SamMed3DConfig config, SamMed3DPipelineOptions pipeline, string folder)
    {
        config.Validate();
        Directory.CreateDirectory(folder);
        using var checkpoint = CheckpointReader.Open(checkpointPath);
        using var weights = new WeightSet(folder, WeightsFile);
        SamMed3DWeights.ReadInto(checkpoint, config, weights);
        var model = new JsonObject
        {
            ["kind"] = "sam-med3d",
            ["checkpoint"] = Path.GetFileName(checkpointPath),
            ["config"] = config.ToJson(),
            ["preprocessing"] = new JsonObject
            {
                ["spacing_mm"] = pipeline.SpacingMm,
                ["orientation"] = "canonical RAS+: crop axes A0, A1, A2 increase toward Right, Anterior, Superior",
                ["crop"] = config.ImageSize,
                ["clamp"] = pipeline.ClampMin is null ? null : new JsonArray(pipeline.ClampMin, pipeline.ClampMax),
                ["normalisation"] = "z-score over the crop with the mean and unbiased std of voxels > 0 (after the clamp), applied to every voxel",
            },
            ["prompts"] = new JsonObject
            {
                ["point_coords"] = "crop voxel indices (A0, A1, A2) as floats; +0.5 is added inside",
                ["point_labels"] = "1 positive, 0 negative; all clicks so far (cumulative); the padding point is appended inside",
                ["mask_input"] = $"previous click's low_res_logits, zeros ({config.LowResSize}³) for the first click",
            },
            ["postprocessing"] = $"trilinear upsampling of low_res_logits to {config.ImageSize}³ (align_corners = false), then logit > 0",
        };
        OnnxExport.Write(folder, weights,
            [("encoder", EncoderFile, SamMed3DGraphs.Encoder(config, weights)), ("decoder", DecoderFile, SamMed3DGraphs.Decoder(config, weights))], model);
    }
}
