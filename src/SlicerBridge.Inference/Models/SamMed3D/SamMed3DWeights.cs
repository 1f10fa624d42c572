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
    public static WeightSet Load(ICheckpoint checkpoint, SamMed3DConfig config)
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

    /// <summary>Checks every key and shape, then appends the tensors to <paramref name="weights"/> one at a time.</summary>
    public static void ReadInto(ICheckpoint checkpoint, SamMed3DConfig config, WeightSet weights)
    {
        var expected = SamMed3DCheckpointLayout.Expected(config).ToList();
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
