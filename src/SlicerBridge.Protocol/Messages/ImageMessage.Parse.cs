using System.Buffers.Binary;

namespace SlicerBridge.Protocol;

public sealed partial class ImageMessage
{
    /// <summary>
    /// Validates the 72-byte image header against the content length and the limits. Called on the first bytes of
    /// a body, before any buffer for its pixels is rented.
    /// </summary>
    internal static void ValidateImageHeader(in IgtlHeader header, ReadOnlySpan<byte> h, long contentLength, IgtlReaderOptions options)
    {
        if (contentLength < ImageHeaderSize)
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentTooShort, header, $"content is {contentLength} bytes, the image header alone is {ImageHeaderSize}.");
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(h);
        if (version != 1)
            throw new IgtlMalformedMessageException(IgtlRejectReason.UnsupportedImageHeaderVersion, header, $"image header version {version}, only 1 exists.");
        int components = h[2];
        if (components == 0)
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadImageSize, header, "0 components.");
        if (!IgtlScalarTypes.IsDefined(h[3]))
            throw new IgtlMalformedMessageException(IgtlRejectReason.UnsupportedScalarType, header, $"scalar type {h[3]} (valid: 2,3,4,5,6,7,10,11).");
        if (h[4] is not (1 or 2))
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadValue, header, $"pixel endianness {h[4]} (1 big, 2 little).");
        if (h[5] is not (1 or 2))
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadValue, header, $"coordinate system {h[5]} (1 RAS, 2 LPS).");
        int ri = BinaryPrimitives.ReadUInt16BigEndian(h[6..]), rj = BinaryPrimitives.ReadUInt16BigEndian(h[8..]), rk = BinaryPrimitives.ReadUInt16BigEndian(h[10..]);
        int di = BinaryPrimitives.ReadUInt16BigEndian(h[60..]), dj = BinaryPrimitives.ReadUInt16BigEndian(h[62..]), dk = BinaryPrimitives.ReadUInt16BigEndian(h[64..]);
        int si = BinaryPrimitives.ReadUInt16BigEndian(h[66..]), sj = BinaryPrimitives.ReadUInt16BigEndian(h[68..]), sk = BinaryPrimitives.ReadUInt16BigEndian(h[70..]);
        if (ri == 0 || rj == 0 || rk == 0)
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadImageSize, header, $"size {ri}x{rj}x{rk} has a zero axis.");
        if (ri > options.MaxImageDimension || rj > options.MaxImageDimension || rk > options.MaxImageDimension)
            throw new IgtlLimitExceededException(IgtlRejectReason.ImageLimitExceeded,
                $"IMAGE '{header.DeviceName}': size {ri}x{rj}x{rk} exceeds the limit of {options.MaxImageDimension} per axis.", framingIntact: true, header);
        if ((long)ri * rj * rk > options.MaxImageVoxels)
            throw new IgtlLimitExceededException(IgtlRejectReason.ImageLimitExceeded,
                $"IMAGE '{header.DeviceName}': {(long)ri * rj * rk} voxels exceed the limit of {options.MaxImageVoxels}.", framingIntact: true, header);
        if (si == 0 || sj == 0 || sk == 0 || di + si > ri || dj + sj > rj || dk + sk > rk)
            throw new IgtlMalformedMessageException(IgtlRejectReason.BadImageSize, header,
                $"sub-volume offset ({di},{dj},{dk}) size ({si},{sj},{sk}) does not fit the volume {ri}x{rj}x{rk}.");
        long expected = (long)si * sj * sk * components * IgtlScalarTypes.SizeOf((IgtlScalarType)h[3]);
        if (contentLength - ImageHeaderSize != expected)
            throw new IgtlMalformedMessageException(IgtlRejectReason.ContentSizeMismatch, header,
                $"{si}x{sj}x{sk}x{components} {(IgtlScalarType)h[3]} needs {expected} pixel bytes, the body holds {contentLength - ImageHeaderSize}.");
        for (int axis = 0; axis < 4; axis++)
        {
            float a = BinaryPrimitives.ReadSingleBigEndian(h[(12 + 12 * axis)..]);
            float b = BinaryPrimitives.ReadSingleBigEndian(h[(16 + 12 * axis)..]);
            float c = BinaryPrimitives.ReadSingleBigEndian(h[(20 + 12 * axis)..]);
            if (!float.IsFinite(a) || !float.IsFinite(b) || !float.IsFinite(c))
                throw new IgtlMalformedMessageException(IgtlRejectReason.BadGeometry, header, "the image matrix contains NaN or infinity.");
            if (axis < 3 && a == 0 && b == 0 && c == 0)
                throw new IgtlMalformedMessageException(IgtlRejectReason.BadGeometry, header, $"axis {"IJK"[axis]} of the image matrix has zero length (spacing 0).");
        }
    }

    /// <summary>Parses a validated-length IMAGE content whose bytes stay alive until <paramref name="owner"/> is disposed.</summary>
    internal static ImageMessage Parse(in IgtlHeader header, ReadOnlyMemory<byte> content, IDisposable? owner, IgtlReaderOptions options)
    {
        var h = content.Span;
        ValidateImageHeader(header, h, content.Length, options);
        var message = new ImageMessage
        {
            Components = h[2],
            ScalarType = (IgtlScalarType)h[3],
            PixelEndianness = (IgtlEndianness)h[4],
            CoordinateSystem = (IgtlCoordinateSystem)h[5],
            SizeI = BinaryPrimitives.ReadUInt16BigEndian(h[6..]),
            SizeJ = BinaryPrimitives.ReadUInt16BigEndian(h[8..]),
            SizeK = BinaryPrimitives.ReadUInt16BigEndian(h[10..]),
            SubOffset = (BinaryPrimitives.ReadUInt16BigEndian(h[60..]), BinaryPrimitives.ReadUInt16BigEndian(h[62..]), BinaryPrimitives.ReadUInt16BigEndian(h[64..])),
            SubSize = (BinaryPrimitives.ReadUInt16BigEndian(h[66..]), BinaryPrimitives.ReadUInt16BigEndian(h[68..]), BinaryPrimitives.ReadUInt16BigEndian(h[70..])),
        };
        for (int i = 0; i < 12; i++) message.WireMatrix[i] = BinaryPrimitives.ReadSingleBigEndian(h[(12 + 4 * i)..]);
        message.SetPixels(content[ImageHeaderSize..], owner);
        return message;
    }
}
