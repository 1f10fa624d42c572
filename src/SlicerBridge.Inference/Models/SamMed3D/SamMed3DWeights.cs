using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The SAM-Med3D weights a configuration declares (<see cref="SamMed3DCheckpointLayout"/>: every key with its shape,
/// all checked before anything is read), read one tensor at a time into the weights file the sessions use.
/// </summary>
public static class SamMed3DWeights
{
    public static WeightSet Load(ICheckpoint checkpoint, SamMed3DConfig config)
    {
        var expected = SamMed3DCheckpointLayout.Expected(config).ToList();
        CheckpointReader.RequireShapes(checkpoint, expected);
        var weights = new WeightSet();
        try
        {
            float[] buffer = [];
            foreach (var (name, shape) in expected)
            {
                long count = shape.Aggregate(1L, (a, b) => a * b);
                if (buffer.Length < count) buffer = new float[count];
                var values = buffer.AsSpan(0, (int)count);
                checkpoint.ReadFloat32(name, values);
                weights.Add(name, values, shape.Select(d => (long)d).ToArray());
            }
            return weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }
}
