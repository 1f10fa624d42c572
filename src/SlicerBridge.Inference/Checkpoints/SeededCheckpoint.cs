namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// A synthetic state dict with the given names and shapes and deterministic pseudo-random values (uniform within
/// ±1/√fan_in, LayerNorm weights near 1), for benchmarks of a full-size configuration without downloading weights.
/// Values depend only on the seed and the tensor name.
/// </summary>
public sealed class SeededCheckpoint(IEnumerable<(string Name, int[] Shape)> layout, int seed) : ICheckpoint
{
    private readonly Dictionary<string, int[]> _shapes = layout.ToDictionary(x => x.Name, x => x.Shape);

    public string Source => $"seeded weights (seed {seed})";
    public IReadOnlyList<CheckpointTensorInfo> Tensors => _shapes.Select(kv => new CheckpointTensorInfo(kv.Key, CheckpointDType.Float32, kv.Value)).ToList();
    public bool Contains(string name) => _shapes.ContainsKey(name);
    public int[] GetShape(string name) => _shapes.TryGetValue(name, out var s) ? s.ToArray() : throw new CheckpointException($"{Source}: no tensor '{name}'.");

    public void ReadFloat32(string name, Span<float> destination)
    {
        var shape = GetShape(name);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (destination.Length != count) throw new ArgumentException($"'{name}' holds {count} values, the buffer {destination.Length}.");
        var rng = new Random(HashCode.Combine(seed, StableHash(name)));
        bool isNormWeight = shape.Length == 1 && name.EndsWith(".weight", StringComparison.Ordinal);
        int fanIn = shape.Length >= 2 ? (int)(count / shape[0]) : 1;
        float scale = shape.Length >= 2 ? 1f / MathF.Sqrt(fanIn) : 0.02f;
        for (int i = 0; i < destination.Length; i++)
        {
            float u = (float)(rng.NextDouble() * 2 - 1) * scale;
            destination[i] = isNormWeight ? 1f + u : u;
        }
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            int h = (int)2166136261;
            foreach (char c in s) h = (h ^ c) * 16777619;
            return h;
        }
    }

    public void Dispose() { }
}
