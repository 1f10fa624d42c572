using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// The SAM-Med2D weights a configuration declares (<see cref="SamMed2DCheckpointLayout"/>: every key with its shape,
/// all checked before anything is read), read one tensor at a time into the weights file the sessions use. Only the
/// tensors of the state dict are read; a pickled optimizer next to it (the released file's) adds nothing.
/// </summary>
public static class SamMed2DWeights
{
    public static WeightSet Load(ICheckpoint checkpoint, SamMed2DConfig config) =>
        CheckpointWeights.Load(w => { ReadInto(checkpoint, config, w); return true; }).Weights;

    public static void ReadInto(ICheckpoint checkpoint, SamMed2DConfig config, WeightSet weights)
    {
        var expected = SamMed2DCheckpointLayout.Expected(config).ToList();
        CheckpointReader.RequireShapes(checkpoint, expected);
        CheckpointWeights.Append(checkpoint, expected, weights);
    }
}
