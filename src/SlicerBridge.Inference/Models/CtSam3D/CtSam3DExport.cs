using System.Text.Json.Nodes;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// CT-SAM3D as files for other hosts: <c>encoder.onnx</c>, <c>decoder.onnx</c> and, when the checkpoint has it,
/// <c>cross_patch.onnx</c>, over one external weights file, with a manifest of what the graphs do not say.
/// </summary>
public static class CtSam3DExport
{
    public const string EncoderFile = "encoder.onnx", DecoderFile = "decoder.onnx", CrossPatchFile = "cross_patch.onnx", WeightsFile = "ct-sam3d.weights";

    public static void Write(string checkpointPath, CtSam3DConfig config, CtSam3DPipelineOptions pipeline, string folder)
    {
        config.Validate();
        Directory.CreateDirectory(folder);
        using var checkpoint = CheckpointReader.Open(checkpointPath);
        using var weights = new WeightSet(folder, WeightsFile);
        bool crossPatch = CtSam3DWeights.ReadInto(checkpoint, config, weights);
        int s = config.ImageSize;
        var manifest = new JsonObject
        {
            ["kind"] = "ct-sam3d",
            ["checkpoint"] = Path.GetFileName(checkpointPath),
            ["config"] = config.ToJson(),
            ["preprocessing"] = new JsonObject
            {
                ["spacing_mm"] = pipeline.SpacingMm,
                ["orientation"] = "identity direction in ITK LPS: patch axes x (fastest), y, z increase toward patient Left, Posterior, Superior; arrays are [z][y][x]",
                ["grid"] = "origin = minimum of the input's index-box corners (index 0 or size), size = round-half-even(extent / spacing); linear interpolation",
                ["pad_value"] = pipeline.PadValue,
                ["patch"] = $"{s}³ centred on the first positive click's grid voxel (patch voxel p = grid voxel c − {s / 2} + p)",
                ["normalisation"] = $"clamp to [{pipeline.WindowMin}, {pipeline.WindowMax}] HU, then (x − {pipeline.WindowMin}) / {pipeline.WindowMax - pipeline.WindowMin}",
            },
            ["prompts"] = new JsonObject
            {
                ["prompt"] = "[previous probability (zeros for the first click in a patch), positive click map, negative click map]",
                ["click_maps"] = "each click (truncated patch voxel x, y, z) writes exp(−r²/8) over its 17³ box clipped at the patch border (entries < 2⁻²³ zeroed), ASSIGNED over earlier clicks of the same sign",
            },
            ["postprocessing"] = "mask = probability > 0.5; the probability is the next click's mask prompt",
            ["cross_patch"] = crossPatch
                ? "cpp_input = [patch image, patch mask (0/1), neighbour patch image] → unactivated click heatmap for the neighbour"
                : null,
        };
        var graphs = new List<(string, string, GraphBuilder)>
        {
            ("encoder", EncoderFile, CtSam3DGraphs.Encoder(config, weights)),
            ("decoder", DecoderFile, CtSam3DGraphs.Decoder(config, weights)),
        };
        if (crossPatch) graphs.Add(("cross_patch", CrossPatchFile, CtSam3DGraphs.CrossPatch(config, weights)));
        OnnxExport.Write(folder, weights, graphs, manifest);
    }
}
