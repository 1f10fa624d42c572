using System.Globalization;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.IO;

/// <summary>
/// Reads 3-D scalar NRRD volumes and 2-D images: attached (.nrrd) or detached (.nhdr + "data file"), raw or gzip
/// encoding, either endianness. Geometry from "space", "space directions" and "space origin" converted to RAS
/// (an LPS space negates x and y); without a space, "spacings" on the index axes and origin 0.
/// </summary>
/// <remarks>
/// A 2-D image (<c>dimension: 2</c>) is a one-slice volume (K = 1); its third axis is completed as the unit normal
/// of the two in-plane directions (right-handed: column I × column J, spacing 1), as a 2-D NIfTI's quaternion gives.
/// </remarks>
public static class NrrdReader
{
    public static Volume Read(string path, VolumeReadLimits? limits = null)
    {
        limits ??= VolumeReadLimits.Default;
        string name = Path.GetFileName(path);
        using var file = VolumeStreams.OpenInput(path);
        var (header, dataOffset) = ReadHeader(file, name, limits);
        var layout = Layout(header, name, limits);

        string? dataFile = header["data file"] ?? header["datafile"];
        if (dataFile is null)
        {
            file.Position = dataOffset;
            return Decode(file, layout, name);
        }
        string dataPath = NrrdDataFile.Resolve(path, dataFile, name);
        using var data = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Decode(data, layout, name);
    }

    /// <summary>
    /// Reads the header text: everything up to the first blank line, or the whole file when there is none (a detached
    /// header). Reads at most <see cref="VolumeReadLimits.MaxHeaderBytes"/>; returns where attached data starts.
    /// </summary>
    private static (NrrdHeader Header, long DataOffset) ReadHeader(FileStream file, string name, VolumeReadLimits limits)
    {
        var buffer = new byte[(int)Math.Clamp(file.Length, 64, Math.Max(64, Math.Min(limits.MaxHeaderBytes, 1 << 16)))];
        int filled = 0, searched = 0;
        while (true)
        {
            int end = BlankLineEnd(buffer.AsSpan(0, filled), Math.Max(0, searched - 2));
            if (end >= 0)
            {
                var header = NrrdHeader.Parse(buffer.AsSpan(0, end), name);
                return (header, end);
            }
            searched = filled;
            if (filled == buffer.Length)
            {
                if (buffer.Length >= limits.MaxHeaderBytes)
                    throw new VolumeFormatException($"'{name}': no end of the NRRD header within {limits.MaxHeaderBytes} bytes (MaxHeaderBytes).");
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 4, limits.MaxHeaderBytes));
            }
            int n = file.Read(buffer, filled, buffer.Length - filled);
            if (n == 0) return (NrrdHeader.Parse(buffer.AsSpan(0, filled), name), filled); // detached header, no blank line
            filled += n;
        }
    }

    /// <summary>Index just past the first empty line ("\n\n" or "\n\r\n") at or after <paramref name="from"/>, or -1.</summary>
    private static int BlankLineEnd(ReadOnlySpan<byte> bytes, int from)
    {
        for (int i = from; i < bytes.Length - 1; i++)
        {
            if (bytes[i] != (byte)'\n') continue;
            if (bytes[i + 1] == (byte)'\n') return i + 2;
            if (bytes[i + 1] == (byte)'\r' && i + 2 < bytes.Length && bytes[i + 2] == (byte)'\n') return i + 3;
        }
        return -1;
    }

    private sealed record DataLayout(VolumeGeometry Geometry, VoxelType Type, bool BigEndian, bool Gzip, long ByteSkip);

    /// <summary>Everything the header says about the data, checked before a byte of it is read.</summary>
    private static DataLayout Layout(NrrdHeader header, string name, VolumeReadLimits limits)
    {
        int dimension = ParseInt(header.Required("dimension", name), "dimension", name);
        string sizesText = header.Required("sizes", name);
        string[] sizeText = sizesText.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (dimension is not (2 or 3) || sizeText.Length != dimension)
            throw new VolumeFormatException($"'{name}' has dimension {dimension} (sizes '{Text.Clip(sizesText)}'); only 2-D images and 3-D scalar volumes are supported (no 4-D, no multi-component).");
        int[] sizes = [.. sizeText.Select(s => ParseInt(s, "sizes", name)), .. dimension == 2 ? [1] : Array.Empty<int>()];
        if (sizes.Any(s => s < 1)) throw new VolumeFormatException($"'{name}': sizes '{Text.Clip(sizesText)}' must be positive.");
        VolumeStreams.CheckVoxelCount((long)sizes[0] * sizes[1] * sizes[2], string.Join("x", sizes), limits, name);
        VoxelType type = NrrdHeader.ParseType(header.Required("type", name), name);

        string encoding = header.Required("encoding", name).ToLowerInvariant();
        bool gzip = encoding switch
        {
            "raw" => false,
            "gzip" or "gz" => true,
            _ => throw new VolumeFormatException($"'{name}': NRRD encoding '{Text.Clip(encoding)}' is not supported (raw and gzip are)."),
        };
        if (header["line skip"] is { } lineSkip && lineSkip != "0")
            throw new VolumeFormatException($"'{name}': 'line skip' is not supported.");
        long skip = header["byte skip"] is { } byteSkip ? ParseInt(byteSkip, "byte skip", name) : 0;
        if (skip < -1 || skip > limits.MaxHeaderBytes)
            throw new VolumeFormatException($"'{name}': byte skip {skip} is invalid (-1, or 0..{limits.MaxHeaderBytes}).");
        if (skip == -1 && gzip) throw new VolumeFormatException($"'{name}': byte skip -1 is only valid with raw encoding.");

        string endian = (header["endian"] ?? "little").ToLowerInvariant();
        if (endian is not ("little" or "big")) throw new VolumeFormatException($"'{name}': endian '{Text.Clip(endian)}' must be little or big.");
        return new DataLayout(Geometry(header, sizes, dimension, name), type, endian == "big", gzip, skip);
    }

    /// <summary>Reads the voxels from <paramref name="data"/> (positioned at the data): never more than the layout declares.</summary>
    private static Volume Decode(FileStream data, DataLayout layout, string name)
    {
        long count = layout.Geometry.VoxelCount;
        long needed = count * VoxelCodec.BytesPerVoxel(layout.Type); // ≤ MaxVoxels × 8
        long available = data.Length - data.Position;
        Stream stream = data;
        if (!layout.Gzip)
        {
            long skip = layout.ByteSkip == -1 ? available - needed : layout.ByteSkip; // -1: the data ends the file
            if (skip < 0 || available - skip < needed)
                throw new VolumeFormatException($"'{name}' is truncated: {count} voxels of {layout.Type} need {needed} bytes, the data holds {Math.Max(0, available - Math.Max(0, skip))}.");
            data.Seek(skip, SeekOrigin.Current);
        }
        else
        {
            if (available < 18) throw new VolumeFormatException($"'{name}' is truncated: {available} bytes cannot hold gzip data.");
            stream = new System.IO.Compression.GZipStream(data, System.IO.Compression.CompressionMode.Decompress, leaveOpen: true);
            VolumeStreams.Skip(stream, layout.ByteSkip, name, "the byte skip");
        }
        using (stream == data ? null : stream)
        {
            float[] voxels = VoxelCodec.Read(stream, layout.Type, layout.BigEndian, count, name);
            return new Volume(layout.Geometry, voxels, name, layout.Type);
        }
    }

    private static VolumeGeometry Geometry(NrrdHeader header, int[] sizes, int dimension, string name)
    {
        try
        {
            if (header["space"] is { } space)
            {
                Vec3 flip = NrrdHeader.SpaceToRas(space, name);
                string directionsText = header.Required("space directions", name);
                string[] parts = directionsText.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length != dimension || parts.Any(p => p == "none"))
                    throw new VolumeFormatException($"'{name}': space directions '{Text.Clip(directionsText)}' must give {dimension} vectors (multi-component data is not supported).");
                Vec3 ToRas(Vec3 v) => new(v.X * flip.X, v.Y * flip.Y, v.Z * flip.Z);
                Vec3 origin = header["space origin"] is { } o ? ToRas(NrrdHeader.ParseVector(o, name)) : new Vec3(0, 0, 0);
                Vec3 columnI = ToRas(NrrdHeader.ParseVector(parts[0], name)), columnJ = ToRas(NrrdHeader.ParseVector(parts[1], name));
                Vec3 columnK = dimension == 3 ? ToRas(NrrdHeader.ParseVector(parts[2], name)) : UnitNormal(columnI, columnJ, directionsText, name);
                return new VolumeGeometry(sizes[0], sizes[1], sizes[2], columnI, columnJ, columnK, origin);
            }
            var spacing = new Vec3(1, 1, 1);
            if (header["spacings"] is { } spacings)
            {
                double[] s = spacings.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v != 0 ? Math.Abs(v) : 1)
                    .ToArray();
                if (s.Length != dimension) throw new VolumeFormatException($"'{name}': spacings '{Text.Clip(spacings)}' must have {dimension} values.");
                spacing = new Vec3(s[0], s[1], dimension == 3 ? s[2] : 1);
            }
            return VolumeGeometry.AxisAligned(sizes[0], sizes[1], sizes[2], spacing, new Vec3(0, 0, 0));
        }
        catch (ArgumentException ex)
        {
            throw new VolumeFormatException($"'{name}' has an invalid geometry: {ex.Message}", ex);
        }
    }

    /// <summary>The third axis of a 2-D image: unit length, normal to its plane, right-handed.</summary>
    private static Vec3 UnitNormal(Vec3 columnI, Vec3 columnJ, string directionsText, string name)
    {
        Vec3 normal = columnI.Cross(columnJ);
        double length = normal.Length;
        if (!(length > 0) || !double.IsFinite(length))
            throw new VolumeFormatException($"'{name}': space directions '{Text.Clip(directionsText)}' do not span a plane.");
        return normal * (1 / length);
    }

    private static int ParseInt(string text, string field, string name) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new VolumeFormatException($"'{name}': {field} '{Text.Clip(text)}' is not an integer.");
}
