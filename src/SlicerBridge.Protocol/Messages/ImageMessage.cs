using System.Buffers.Binary;

namespace SlicerBridge.Protocol;

/// <summary>
/// IMAGE: a 72-byte image header (version, components, scalar type, endianness, coordinate system, size,
/// the 3x4 matrix whose translation P is the position of the volume CENTRE, sub-volume offset and size)
/// followed by the pixels of the sub-volume. Received pixels live in a pooled buffer returned on Dispose;
/// pixels to send are referenced, not copied.
/// </summary>
public sealed partial class ImageMessage : IgtlMessage
{
    public const string TypeName = "IMAGE";
    public const int ImageHeaderSize = 72;

    private IDisposable? _pixelOwner;

    public override string MessageType => TypeName;

    public IgtlScalarType ScalarType { get; set; } = IgtlScalarType.UInt8;
    public int Components { get; set; } = 1;
    public IgtlEndianness PixelEndianness { get; set; } = IgtlScalarTypes.HostEndianness;
    public IgtlCoordinateSystem CoordinateSystem { get; set; } = IgtlCoordinateSystem.Ras;

    public int SizeI { get; set; }
    public int SizeJ { get; set; }
    public int SizeK { get; set; }

    /// <summary>The wire matrix: T (i axis × spacing), S (j), N (k), P (centre), 3 floats each.</summary>
    public float[] WireMatrix { get; } = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0];

    /// <summary>Sub-volume start index; (0,0,0) for a full volume.</summary>
    public (int I, int J, int K) SubOffset { get; set; }

    /// <summary>Sub-volume size; the full size for a full volume (set by <see cref="SetFullVolume"/>).</summary>
    public (int I, int J, int K) SubSize { get; set; }

    /// <summary>The sub-volume's pixels as on the wire (in <see cref="PixelEndianness"/>), I fastest, components interleaved.</summary>
    public ReadOnlyMemory<byte> Pixels { get; private set; }

    public int ScalarSize => IgtlScalarTypes.SizeOf(ScalarType);

    public bool IsFullVolume => SubOffset == (0, 0, 0) && SubSize == (SizeI, SizeJ, SizeK);

    public long VoxelCount => (long)SizeI * SizeJ * SizeK;

    /// <summary>Describes a full volume and references its pixels (caller-owned, not copied).</summary>
    public void SetFullVolume(int sizeI, int sizeJ, int sizeK, IgtlScalarType scalarType, ReadOnlyMemory<byte> pixels,
        int components = 1, IgtlEndianness? endianness = null)
    {
        if (sizeI is <= 0 or > ushort.MaxValue || sizeJ is <= 0 or > ushort.MaxValue || sizeK is <= 0 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(sizeI), $"Image size {sizeI}x{sizeJ}x{sizeK}: each axis must be 1..65535.");
        if (components is <= 0 or > byte.MaxValue) throw new ArgumentOutOfRangeException(nameof(components));
        long expected = (long)sizeI * sizeJ * sizeK * components * IgtlScalarTypes.SizeOf(scalarType);
        if (pixels.Length != expected)
            throw new ArgumentException($"{sizeI}x{sizeJ}x{sizeK}x{components} {scalarType} needs {expected} pixel bytes, got {pixels.Length}.", nameof(pixels));
        SizeI = sizeI; SizeJ = sizeJ; SizeK = sizeK;
        ScalarType = scalarType;
        Components = components;
        PixelEndianness = endianness ?? IgtlScalarTypes.HostEndianness;
        SubOffset = (0, 0, 0);
        SubSize = (sizeI, sizeJ, sizeK);
        SetPixels(pixels, owner: null);
    }

    /// <summary>References sub-volume pixels; <paramref name="owner"/> (if any) is disposed with the message.</summary>
    public void SetPixels(ReadOnlyMemory<byte> pixels, IDisposable? owner)
    {
        _pixelOwner?.Dispose();
        Pixels = pixels;
        _pixelOwner = owner;
    }

    internal override int ContentHeaderLength => ImageHeaderSize;

    internal override ReadOnlyMemory<byte> ContentTail => Pixels;

    internal override void WriteContentHeader(Span<byte> d)
    {
        long expected = (long)SubSize.I * SubSize.J * SubSize.K * Components * ScalarSize;
        if (Pixels.Length != expected)
            throw new InvalidOperationException($"IMAGE '{DeviceName}': sub-volume {SubSize} needs {expected} pixel bytes, {Pixels.Length} set.");
        BinaryPrimitives.WriteUInt16BigEndian(d, 1);
        d[2] = (byte)Components;
        d[3] = (byte)ScalarType;
        d[4] = (byte)PixelEndianness;
        d[5] = (byte)CoordinateSystem;
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], checked((ushort)SizeI));
        BinaryPrimitives.WriteUInt16BigEndian(d[8..], checked((ushort)SizeJ));
        BinaryPrimitives.WriteUInt16BigEndian(d[10..], checked((ushort)SizeK));
        for (int i = 0; i < 12; i++) BinaryPrimitives.WriteSingleBigEndian(d[(12 + 4 * i)..], WireMatrix[i]);
        BinaryPrimitives.WriteUInt16BigEndian(d[60..], checked((ushort)SubOffset.I));
        BinaryPrimitives.WriteUInt16BigEndian(d[62..], checked((ushort)SubOffset.J));
        BinaryPrimitives.WriteUInt16BigEndian(d[64..], checked((ushort)SubOffset.K));
        BinaryPrimitives.WriteUInt16BigEndian(d[66..], checked((ushort)SubSize.I));
        BinaryPrimitives.WriteUInt16BigEndian(d[68..], checked((ushort)SubSize.J));
        BinaryPrimitives.WriteUInt16BigEndian(d[70..], checked((ushort)SubSize.K));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pixelOwner?.Dispose();
            _pixelOwner = null;
            Pixels = ReadOnlyMemory<byte>.Empty;
        }
    }
}
