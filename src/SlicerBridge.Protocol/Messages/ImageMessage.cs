using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SlicerBridge.Protocol;

/// <summary>IMAGE: 72-byte image header + pixels (i fastest, components interleaved), byte order per <see cref="PixelEndianness"/>.
/// Received pixels live in a pooled buffer returned on <see cref="IgtlMessage.Dispose()"/>; sent pixels are caller-owned memory.</summary>
public sealed class ImageMessage : IgtlMessage
{
    public const int ImageHeaderSize = 72;
    public const int MaxDimension = 65535;
    private byte[]? _rented;
    private ArrayPool<byte>? _pool;

    public ImageMessage() { }

    /// <summary>A full volume for sending; <paramref name="pixels"/> is referenced, not copied.</summary>
    public ImageMessage(string deviceName, IgtlScalarType scalarType, int components, int sizeI, int sizeJ, int sizeK,
        ReadOnlyMemory<byte> pixels, IgtlEndianness pixelEndianness = IgtlEndianness.Little)
    {
        DeviceName = deviceName;
        ScalarType = scalarType;
        Components = components;
        SizeI = sizeI; SizeJ = sizeJ; SizeK = sizeK;
        SubOffset = new IgtlIndex3(0, 0, 0);
        SubSize = new IgtlIndex3(sizeI, sizeJ, sizeK);
        PixelEndianness = pixelEndianness;
        Pixels = pixels;
        SetIjkToRas([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
    }

    public override string MessageType => "IMAGE";
    public IgtlScalarType ScalarType { get; set; } = IgtlScalarType.UInt8;
    public int Components { get; set; } = 1;
    public IgtlEndianness PixelEndianness { get; set; } = IgtlEndianness.Little;
    public IgtlCoordinateSystem CoordinateSystem { get; set; } = IgtlCoordinateSystem.Ras;
    public int SizeI { get; set; }
    public int SizeJ { get; set; }
    public int SizeK { get; set; }
    public IgtlIndex3 SubOffset { get; set; }
    public IgtlIndex3 SubSize { get; set; }

    /// <summary>Wire matrix T(3), S(3), N(3), P(3): columns = direction·spacing, P = volume centre.</summary>
    public float[] WireMatrix { get; } = new float[12];

    /// <summary>The sub-volume's pixel bytes as on the wire (in <see cref="PixelEndianness"/>).</summary>
    public ReadOnlyMemory<byte> Pixels { get; set; }

    public int ScalarSize => IgtlScalarTypes.SizeOf(ScalarType);

    public long ExpectedPixelBytes => SubSize.Product * Components * ScalarSize;

    /// <summary>Row-major 3x4 IJK-to-RAS; origin = centre of voxel (0,0,0) from P with the (N−1)/2 convention; LPS converted to RAS.</summary>
    public double[] GetIjkToRas()
    {
        var m = new double[12];
        double ci = (SizeI - 1) / 2.0, cj = (SizeJ - 1) / 2.0, ck = (SizeK - 1) / 2.0;
        for (int row = 0; row < 3; row++)
        {
            double t = WireMatrix[row], s = WireMatrix[3 + row], n = WireMatrix[6 + row], p = WireMatrix[9 + row];
            double sign = CoordinateSystem == IgtlCoordinateSystem.Lps && row < 2 ? -1 : 1;
            m[row * 4 + 0] = sign * t;
            m[row * 4 + 1] = sign * s;
            m[row * 4 + 2] = sign * n;
            m[row * 4 + 3] = sign * (p - t * ci - s * cj - n * ck);
        }
        return m;
    }

    /// <summary>Sets the wire matrix from a row-major 3x4 IJK-to-RAS (sizes must be set first); writes RAS.</summary>
    public void SetIjkToRas(ReadOnlySpan<double> rowMajor3x4)
    {
        if (rowMajor3x4.Length != 12) throw new ArgumentException("Expected 12 values (row-major 3x4).", nameof(rowMajor3x4));
        double ci = (SizeI - 1) / 2.0, cj = (SizeJ - 1) / 2.0, ck = (SizeK - 1) / 2.0;
        for (int row = 0; row < 3; row++)
        {
            double t = rowMajor3x4[row * 4], s = rowMajor3x4[row * 4 + 1], n = rowMajor3x4[row * 4 + 2], o = rowMajor3x4[row * 4 + 3];
            WireMatrix[row] = (float)t;
            WireMatrix[3 + row] = (float)s;
            WireMatrix[6 + row] = (float)n;
            WireMatrix[9 + row] = (float)(o + t * ci + s * cj + n * ck);
        }
        CoordinateSystem = IgtlCoordinateSystem.Ras;
    }

    /// <summary>Copies the pixels into <paramref name="destination"/> in host byte order; T must match the scalar size.</summary>
    public void CopyPixelsTo<T>(Span<T> destination) where T : unmanaged
    {
        int size = ScalarSize;
        if (Marshal.SizeOf<T>() != size)
            throw new ArgumentException($"{typeof(T).Name} is not {size} bytes ({ScalarType}).", nameof(destination));
        var src = Pixels.Span;
        var dst = MemoryMarshal.AsBytes(destination);
        if (dst.Length < src.Length)
            throw new ArgumentException($"Destination holds {dst.Length} bytes, pixels are {src.Length}.", nameof(destination));
        bool swap = size > 1 && (PixelEndianness == IgtlEndianness.Little) != BitConverter.IsLittleEndian;
        if (!swap) { src.CopyTo(dst); return; }
        switch (size)
        {
            case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(src), MemoryMarshal.Cast<byte, ushort>(dst)); break;
            case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(src), MemoryMarshal.Cast<byte, uint>(dst)); break;
            default: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(src), MemoryMarshal.Cast<byte, ulong>(dst)); break;
        }
    }

    internal override int ContentHeadSize => ImageHeaderSize;
    internal override ReadOnlyMemory<byte> ContentPayload => Pixels;

    internal override void ValidateForWrite()
    {
        string who = $"IMAGE '{DeviceName}'";
        if (Components is < 1 or > 255) throw new InvalidOperationException($"{who}: components must be 1..255, got {Components}.");
        if (!IgtlScalarTypes.IsDefined((byte)ScalarType)) throw new InvalidOperationException($"{who}: unknown scalar type {ScalarType}.");
        foreach (int v in (int[])[SizeI, SizeJ, SizeK, SubSize.I, SubSize.J, SubSize.K])
            if (v is < 1 or > MaxDimension) throw new InvalidOperationException($"{who}: sizes must be 1..{MaxDimension}, got {SizeI}x{SizeJ}x{SizeK} sub {SubSize}.");
        if (SubOffset.I < 0 || SubOffset.J < 0 || SubOffset.K < 0 || SubOffset.I + SubSize.I > SizeI || SubOffset.J + SubSize.J > SizeJ || SubOffset.K + SubSize.K > SizeK)
            throw new InvalidOperationException($"{who}: sub-volume {SubOffset}+{SubSize} lies outside {SizeI}x{SizeJ}x{SizeK}.");
        if (Pixels.Length != ExpectedPixelBytes)
            throw new InvalidOperationException($"{who}: {SubSize.I}x{SubSize.J}x{SubSize.K}x{Components} {ScalarType} needs {ExpectedPixelBytes} pixel bytes, got {Pixels.Length}.");
        ImageGeometryCheck.Validate(WireMatrix, reason => new InvalidOperationException($"{who}: {reason}"));
    }

    internal override void WriteContentHead(Span<byte> destination)
    {
        var w = new ContentWriter(destination);
        w.U16(1); w.U8((byte)Components); w.U8((byte)ScalarType); w.U8((byte)PixelEndianness); w.U8((byte)CoordinateSystem);
        w.U16((ushort)SizeI); w.U16((ushort)SizeJ); w.U16((ushort)SizeK);
        foreach (float v in WireMatrix) w.F32(v);
        w.U16((ushort)SubOffset.I); w.U16((ushort)SubOffset.J); w.U16((ushort)SubOffset.K);
        w.U16((ushort)SubSize.I); w.U16((ushort)SubSize.J); w.U16((ushort)SubSize.K);
    }

    /// <summary>Parses the 72-byte head and copies the pixels once, from the body sequence into a pooled buffer.</summary>
    internal static ImageMessage Parse(in IgtlHeader header, ReadOnlySequence<byte> content, IgtlReaderOptions options, ArrayPool<byte> pool)
    {
        if (content.Length < ImageHeaderSize)
            throw new IgtlMalformedMessageException(header, IgtlRejectReason.ContentTooShort,
                $"content is {content.Length} bytes, the image header alone is {ImageHeaderSize}");
        Span<byte> head = stackalloc byte[ImageHeaderSize];
        content.Slice(0, ImageHeaderSize).CopyTo(head);
        var m = ParseHead(header, head, content.Length, options);
        long expected = m.ExpectedPixelBytes;
        if (expected > 0)
        {
            var rented = pool.Rent((int)expected);
            content.Slice(ImageHeaderSize).CopyTo(rented);
            m.AttachPooledPixels(pool, rented, (int)expected);
        }
        return m;
    }

    /// <summary>Takes ownership of a rented buffer holding the pixels (returned to <paramref name="pool"/> on Dispose).</summary>
    internal void AttachPooledPixels(ArrayPool<byte> pool, byte[] rented, int length)
    {
        _pool = pool;
        _rented = rented;
        Pixels = rented.AsMemory(0, length);
    }

    /// <summary>
    /// Validates the 72-byte image head against the content length and the limits, and returns the message without
    /// pixels. The reader calls this on the first bytes of a large body, before it rents anything for the pixels.
    /// </summary>
    internal static ImageMessage ParseHead(in IgtlHeader header, ReadOnlySpan<byte> head, long contentLength, IgtlReaderOptions options)
    {
        var h = header;
        IgtlMalformedMessageException Bad(IgtlRejectReason reason, string text) => new(h, reason, text);

        var r = new ContentReader(head, header);
        ushort version = r.U16("V");
        if (version != 1) throw Bad(IgtlRejectReason.UnsupportedImageHeaderVersion, $"image header version {version}, only 1 is supported");
        int components = r.U8("T");
        if (components == 0) throw Bad(IgtlRejectReason.InvalidComponentCount, "0 components");
        byte scalar = r.U8("S");
        if (!IgtlScalarTypes.IsDefined(scalar)) throw Bad(IgtlRejectReason.UnknownScalarType, $"unknown scalar type {scalar}");
        byte endian = r.U8("E");
        if (endian is not (1 or 2)) throw Bad(IgtlRejectReason.InvalidEndianness, $"pixel endianness {endian} (1 big, 2 little)");
        byte coords = r.U8("O");
        if (coords is not (1 or 2)) throw Bad(IgtlRejectReason.InvalidCoordinateSystem, $"coordinate system {coords} (1 RAS, 2 LPS)");
        var m = new ImageMessage
        {
            Components = components, ScalarType = (IgtlScalarType)scalar, PixelEndianness = (IgtlEndianness)endian,
            CoordinateSystem = (IgtlCoordinateSystem)coords,
            SizeI = r.U16("RI"), SizeJ = r.U16("RJ"), SizeK = r.U16("RK"),
        };
        for (int i = 0; i < 12; i++) m.WireMatrix[i] = r.F32("matrix");
        m.SubOffset = new IgtlIndex3(r.U16("DI"), r.U16("DJ"), r.U16("DK"));
        m.SubSize = new IgtlIndex3(r.U16("DRI"), r.U16("DRJ"), r.U16("DRK"));

        int maxDim = options.MaxImageDimension;
        if (m.SizeI > maxDim || m.SizeJ > maxDim || m.SizeK > maxDim)
            throw new IgtlLimitExceededException(IgtlRejectReason.ImageTooLarge, true,
                $"IMAGE '{header.DeviceName}': {m.SizeI}x{m.SizeJ}x{m.SizeK} exceeds the per-axis limit {maxDim}");
        if (m.SizeI == 0 || m.SizeJ == 0 || m.SizeK == 0 || m.SubSize.I == 0 || m.SubSize.J == 0 || m.SubSize.K == 0)
            throw Bad(IgtlRejectReason.InvalidSubVolume, $"zero size {m.SizeI}x{m.SizeJ}x{m.SizeK}, sub-volume {m.SubSize.I}x{m.SubSize.J}x{m.SubSize.K}");
        if (m.SubOffset.I + m.SubSize.I > m.SizeI || m.SubOffset.J + m.SubSize.J > m.SizeJ || m.SubOffset.K + m.SubSize.K > m.SizeK)
            throw Bad(IgtlRejectReason.InvalidSubVolume,
                $"sub-volume offset ({m.SubOffset.I},{m.SubOffset.J},{m.SubOffset.K}) size {m.SubSize.I}x{m.SubSize.J}x{m.SubSize.K} lies outside {m.SizeI}x{m.SizeJ}x{m.SizeK}");
        if ((long)m.SizeI * m.SizeJ * m.SizeK > options.MaxImageVoxels)
            throw new IgtlLimitExceededException(IgtlRejectReason.ImageTooLarge, true,
                $"IMAGE '{header.DeviceName}': {m.SizeI}x{m.SizeJ}x{m.SizeK} exceeds the voxel limit {options.MaxImageVoxels}");
        ImageGeometryCheck.Validate(m.WireMatrix, reason => Bad(reason.Contains("spacing") ? IgtlRejectReason.ZeroSpacing : IgtlRejectReason.NonFiniteMatrix, reason));

        long expected = m.ExpectedPixelBytes;
        long actual = contentLength - ImageHeaderSize;
        if (expected != actual)
            throw Bad(IgtlRejectReason.ImageSizeMismatch,
                $"{m.SubSize.I}x{m.SubSize.J}x{m.SubSize.K}" + (components > 1 ? $"x{components}" : "") +
                $" {m.ScalarType.ToString().ToLowerInvariant()} needs {expected} pixel bytes, body has {actual}");

        if (expected > Array.MaxLength)
            throw new IgtlLimitExceededException(IgtlRejectReason.ImageTooLarge, true,
                $"IMAGE '{header.DeviceName}': {expected} pixel bytes exceed one pooled buffer ({Array.MaxLength} bytes)");
        return m;
    }

    protected override void Dispose(bool disposing)
    {
        if (_rented is { } rented)
        {
            _rented = null;
            Pixels = ReadOnlyMemory<byte>.Empty;
            _pool!.Return(rented);
        }
    }
}

/// <summary>Rejects a wire matrix with a non-finite value or a zero-length axis column (zero spacing).</summary>
internal static class ImageGeometryCheck
{
    public static void Validate(float[] wire, Func<string, Exception> error)
    {
        foreach (float v in wire)
            if (!float.IsFinite(v)) throw error($"matrix contains a non-finite value ({string.Join(", ", wire)})");
        for (int axis = 0; axis < 3; axis++)
        {
            double x = wire[axis * 3], y = wire[axis * 3 + 1], z = wire[axis * 3 + 2];
            if (x * x + y * y + z * z == 0)
                throw error($"zero spacing: the {"IJK"[axis]} axis column is (0,0,0)");
        }
    }
}
