namespace SlicerBridge.Inference.Tensors;

/// <summary>Moves between the channel-last layout the ops use and the channels-first layout of PyTorch tensors and files.</summary>
public static class TensorLayout
{
    /// <summary>destination[c, r] = source[r, c] for a rows × columns matrix.</summary>
    public static void Transpose(ReadOnlySpan<float> source, int rows, int columns, Span<float> destination)
    {
        if (source.Length != rows * columns || destination.Length != source.Length)
            throw new ArgumentException($"Transpose of {rows}×{columns} needs {rows * columns} values in and out.");
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                destination[c * rows + r] = source[r * columns + c];
    }
}
