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
    public static WeightSet Load(ICheckpoint checkpoint, SamMed2DConfig config)
    {
        var weights = new WeightSet();
        try
        {
            ReadInto(checkpoint, config, weights);
            return weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public static void ReadInto(ICheckpoint checkpoint, SamMed2DConfig config, WeightSet weights)
    {
        var expected = SamMed2DCheckpointLayout.Expected(config).ToList();
        CheckpointReader.RequireShapes(checkpoint, expected);
        float[] buffer = [];
        foreach (var (name, shape) in expected)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (buffer.Length < count) buffer = new float[count];
            var values = buffer.AsSpan(0, (int)count);
            checkpoint.ReadFloat32(name, values);
            weights.Add(name, values, shape.Select(d => (long)d).ToArray());
        }
    }
}
