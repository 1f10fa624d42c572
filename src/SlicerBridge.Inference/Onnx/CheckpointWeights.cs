using SlicerBridge.Inference.Checkpoints;

namespace SlicerBridge.Inference.Onnx;

/// <summary>
/// Checkpoint tensors into a <see cref="WeightSet"/>, one at a time through one reused buffer, so a checkpoint is never
/// held whole in managed memory. Model families check their layout first, then hand over the tensors they use.
/// </summary>
public static class CheckpointWeights
{
    /// <summary>Appends <paramref name="tensors"/> (names with their shapes, already checked) to <paramref name="weights"/>.</summary>
    public static void Append(ICheckpoint checkpoint, IEnumerable<(string Name, int[] Shape)> tensors, WeightSet weights)
    {
        float[] buffer = [];
        foreach (var (name, shape) in tensors)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (buffer.Length < count) buffer = new float[count];
            var values = buffer.AsSpan(0, (int)count);
            checkpoint.ReadFloat32(name, values);
            weights.Add(name, values, shape.Select(d => (long)d).ToArray());
        }
    }

    /// <summary>A new temporary weight set filled by <paramref name="fill"/> (disposed if filling fails).</summary>
    public static (WeightSet Weights, T Result) Load<T>(Func<WeightSet, T> fill)
    {
        var weights = new WeightSet();
        try { return (weights, fill(weights)); }
        catch
        {
            weights.Dispose();
            throw;
        }
    }
}
