using System.Buffers.Binary;

namespace SlicerBridge.Protocol;

/// <summary>TRANSFORM: 12 float32, the upper 3x4 of a 4x4 matrix in column-major order (R11 R21 R31 R12 … TX TY TZ).</summary>
public sealed class TransformMessage : IgtlMessage
{
    public const string TypeName = "TRANSFORM";
    private const int FixedSize = 48;

    public override string MessageType => TypeName;

    /// <summary>The 12 wire values, column-major.</summary>
    public float[] Values { get; } = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0];

    /// <summary>Row-major 3x4 matrix.</summary>
    public double[] GetMatrix()
    {
        var m = new double[12];
        for (int col = 0; col < 4; col++)
            for (int row = 0; row < 3; row++)
                m[row * 4 + col] = Values[col * 3 + row];
        return m;
    }

    /// <summary>Sets from a row-major 3x4 (or 4x4) matrix.</summary>
    public void SetMatrix(ReadOnlySpan<double> rowMajor)
    {
        if (rowMajor.Length < 12) throw new ArgumentException("A transform needs 12 values (3x4 row-major).");
        for (int col = 0; col < 4; col++)
            for (int row = 0; row < 3; row++)
                Values[col * 3 + row] = (float)rowMajor[row * 4 + col];
    }

    internal override int ContentHeaderLength => FixedSize;

    internal override void WriteContentHeader(Span<byte> destination)
    {
        for (int i = 0; i < 12; i++) BinaryPrimitives.WriteSingleBigEndian(destination[(i * 4)..], Values[i]);
    }

    internal static TransformMessage Parse(in IgtlHeader header, ReadOnlySpan<byte> content)
    {
        if (content.Length != FixedSize)
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentSizeMismatch, header, $"content is {content.Length} bytes, {FixedSize} expected.");
        var message = new TransformMessage();
        for (int i = 0; i < 12; i++) message.Values[i] = BinaryPrimitives.ReadSingleBigEndian(content[(i * 4)..]);
        return message;
    }
}
