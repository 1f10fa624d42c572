namespace SlicerBridge.Protocol;

/// <summary>TRANSFORM: 12 float32, column-major upper 3x4 (R11 R21 R31 R12 R22 R32 R13 R23 R33 TX TY TZ).</summary>
public sealed class TransformMessage : IgtlMessage
{
    private const int Size = 48;
    public override string MessageType => "TRANSFORM";

    /// <summary>Wire order (column-major upper 3x4). Defaults to identity.</summary>
    public float[] Matrix { get; } = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0];

    /// <summary>Row-major 3x4.</summary>
    public double[] GetMatrix()
    {
        var m = new double[12];
        for (int row = 0; row < 3; row++)
            for (int col = 0; col < 4; col++)
                m[row * 4 + col] = Matrix[col * 3 + row];
        return m;
    }

    public void SetMatrix(ReadOnlySpan<double> rowMajor3x4)
    {
        if (rowMajor3x4.Length != 12) throw new ArgumentException("Expected 12 values (row-major 3x4).", nameof(rowMajor3x4));
        for (int row = 0; row < 3; row++)
            for (int col = 0; col < 4; col++)
                Matrix[col * 3 + row] = (float)rowMajor3x4[row * 4 + col];
    }

    internal override int ContentHeadSize => Size;

    internal override void WriteContentHead(Span<byte> destination)
    {
        var w = new ContentWriter(destination);
        foreach (float v in Matrix) w.F32(v);
    }

    internal static TransformMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        var r = new ContentReader(content, header);
        var m = new TransformMessage();
        for (int i = 0; i < 12; i++) m.Matrix[i] = r.F32("matrix");
        return m;
    }
}
