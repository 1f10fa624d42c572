namespace SlicerBridge.Inference.Tensors;

/// <summary>
/// A dense float32 tensor, row-major, last dimension fastest. Models keep activations channel-last
/// ([tokens, channels]), so most ops see a matrix of <see cref="Rows"/> × <see cref="Columns"/>.
/// </summary>
public sealed class Tensor
{
    public Tensor(float[] data, params int[] shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension in shape [{string.Join(",", shape)}].");
            count *= d;
        }
        if (data.LongLength != count)
            throw new ArgumentException($"Shape [{string.Join(",", shape)}] needs {count} values, got {data.LongLength}.");
        Data = data;
        Shape = shape;
    }

    public static Tensor Zeros(params int[] shape) => new(new float[shape.Aggregate(1L, (a, b) => a * b)], shape);

    public float[] Data { get; }
    public int[] Shape { get; }
    public int Length => Data.Length;
    public int Columns => Shape[^1];
    public int Rows => Shape.Length == 0 ? 1 : Data.Length / Math.Max(1, Columns);

    public Span<float> Span => Data;
    public Span<float> Row(int r) => Data.AsSpan(r * Columns, Columns);

    /// <summary>The same data seen with another shape of equal element count.</summary>
    public Tensor Reshape(params int[] shape) => new(Data, shape);

    public override string ToString() => $"Tensor[{string.Join(",", Shape)}]";
}
