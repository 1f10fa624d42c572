using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// The CT-SAM3D weights a configuration declares, checked before anything is read: every key of
/// <see cref="CtSam3DCheckpointLayout.Required"/> with its shape, the cross-patch UNet complete or absent, and no
/// unknown key under the model's modules. The official loader (<c>partial_weight_update</c>) silently keeps random
/// weights for missing keys and drops unknown ones, so a restv2_small file would "load" into restv2_tiny; here it is refused.
/// </summary>
public static class CtSam3DWeights
{
    /// <summary>The weights in a new temporary weights file (deleted with the set); <c>HasCrossPatch</c> says whether the CPP UNet came too.</summary>
    public static (WeightSet Weights, bool HasCrossPatch) Load(ICheckpoint checkpoint, CtSam3DConfig config)
    {
        return CheckpointWeights.Load(w => ReadInto(checkpoint, config, w));
    }

    /// <summary>Checks the checkpoint against the configuration, then appends its float tensors one at a time.</summary>
    public static bool ReadInto(ICheckpoint checkpoint, CtSam3DConfig config, WeightSet weights)
    {
        var required = CtSam3DCheckpointLayout.Required(config).ToList();
        var crossPatch = CtSam3DCheckpointLayout.CrossPatch(config).ToList();
        bool hasCrossPatch = checkpoint.Tensors.Any(t => t.Name.StartsWith(CtSam3DCheckpointLayout.CppPrefix, StringComparison.Ordinal));
        var expected = hasCrossPatch ? required.Concat(crossPatch).ToList() : required;
        CheckpointReader.RequireShapes(checkpoint, expected);
        var known = expected.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = checkpoint.Tensors.Select(t => t.Name)
            .Where(n => CtSam3DCheckpointLayout.ModelPrefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal)) && !known.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new CheckpointException($"{checkpoint.Source} has {unknown.Count} tensor(s) this CT-SAM3D configuration does not have " +
                $"(another variant, e.g. restv2_small with 12 stage-3 blocks?): {string.Join(", ", unknown.Take(8))}{(unknown.Count > 8 ? ", …" : "")}.");

        CheckpointWeights.Append(checkpoint,
            expected.Where(e => !CtSam3DCheckpointLayout.IsCounter(e.Name) && e.Name != CtSam3DCheckpointLayout.UnusedPositionalMatrix), weights);
        return hasCrossPatch;
    }
}
