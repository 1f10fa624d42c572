using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The SAM-Med3D weights a configuration declares (<see cref="SamMed3DCheckpointLayout"/>: every key with its shape,
/// all checked before anything is read), read one tensor at a time into the weights file the sessions use.
/// </summary>
public static class SamMed3DWeights
{
    /// <summary>The weights in a new temporary weights file (deleted with the set).</summary>
    public static WeightSet Load(ICheckpoint checkpoint, SamMed3DConfig config) =>
        CheckpointWeights.Load(w => { ReadInto(checkpoint, config, w); return true; }).Weights;

    /// <summary>Checks every key and shape, then appends the tensors to <paramref name="weights"/> one at a time.</summary>
    public static void ReadInto(ICheckpoint checkpoint, SamMed3DConfig config, WeightSet weights)
    {
        var expected = SamMed3DCheckpointLayout.Expected(config).ToList();
        CheckpointReader.RequireShapes(checkpoint, expected);
        CheckpointWeights.Append(checkpoint, expected, weights);
    }
}
