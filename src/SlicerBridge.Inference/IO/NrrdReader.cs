using System.Globalization;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.IO;

/// <summary>
/// Reads 3-D scalar NRRD volumes: attached (.nrrd) or detached (.nhdr + "data file"), raw or gzip encoding,
/// either endianness. Geometry from "space", "space directions" and "space origin" converted to RAS
/// (an LPS space negates x and y); without a space, "spacings" on the index axes and origin 0.
/// </summary>
public static class NrrdReader
{
    public static Volume Read(string path)
    {
        byte[] file = FileBytes.ReadAll(path);
        string name = Path.GetFileName(path);
        NrrdHeader header = NrrdHeader.Parse(file, name);

        string? dataFile = header["data file"] ?? header["datafile"];
        byte[] stored;
        int storedOffset;
        if (dataFile is null)
        {
            stored = file;
            storedOffset = header.DataOffset;
        }
        else
        {
            if (dataFile.StartsWith("LIST", StringComparison.Ordinal) || dataFile.Contains(' '))
                throw new VolumeFormatException($"'{name}': multi-file NRRD data ('data file: {dataFile}') is not supported.");
            string dataPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, dataFile);
            if (!File.Exists(dataPath)) throw new VolumeFormatException($"'{name}': detached data file '{dataFile}' not found.");
            stored = File.ReadAllBytes(dataPath);
            storedOffset = 0;
        }
        return Decode(header, stored.AsSpan(storedOffset), name);
    }

    private static Volume Decode(NrrdHeader header, ReadOnlySpan<byte> stored, string name)
    {
        int dimension = ParseInt(header.Required("dimension", name), "dimension", name);
        string[] sizeText = header.Required("sizes", name).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (dimension != 3 || sizeText.Length != 3)
            throw new VolumeFormatException($"'{name}' has dimension {dimension} (sizes '{header["sizes"]}'); only 3-D scalar volumes are supported (no 4-D, no multi-component).");
        int[] sizes = sizeText.Select(s => ParseInt(s, "sizes", name)).ToArray();
        if (sizes.Any(s => s < 1)) throw new VolumeFormatException($"'{name}': sizes '{header["sizes"]}' must be positive.");
        VoxelType type = NrrdHeader.ParseType(header.Required("type", name), name);

        string encoding = header.Required("encoding", name).ToLowerInvariant();
        byte[] data = encoding switch
        {
            "raw" => stored.ToArray(),
            "gzip" or "gz" => FileBytes.Gunzip(stored, name),
            _ => throw new VolumeFormatException($"'{name}': NRRD encoding '{encoding}' is not supported (raw and gzip are)."),
        };
        if (header["line skip"] is { } lineSkip && lineSkip != "0")
            throw new VolumeFormatException($"'{name}': 'line skip' is not supported.");
        int skip = header["byte skip"] is { } byteSkip ? ParseInt(byteSkip, "byte skip", name) : 0;
        long needed = (long)sizes[0] * sizes[1] * sizes[2] * VoxelCodec.BytesPerVoxel(type);
        if (skip == -1) skip = (int)Math.Max(0, data.Length - needed); // data is at the end of the file
        if (skip < 0 || skip > data.Length) throw new VolumeFormatException($"'{name}': byte skip {skip} is invalid.");

        string endian = (header["endian"] ?? "little").ToLowerInvariant();
        if (endian is not ("little" or "big")) throw new VolumeFormatException($"'{name}': endian '{endian}' must be little or big.");

        VolumeGeometry geometry = Geometry(header, sizes, name);
        float[] voxels = VoxelCodec.Decode(data.AsSpan(skip), type, endian == "big", geometry.VoxelCount);
        return new Volume(geometry, voxels, name, type);
    }

    private static VolumeGeometry Geometry(NrrdHeader header, int[] sizes, string name)
    {
        try
        {
            if (header["space"] is { } space)
            {
                Vec3 flip = NrrdHeader.SpaceToRas(space, name);
                string directionsText = header.Required("space directions", name);
                string[] parts = directionsText.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length != 3 || parts.Any(p => p == "none"))
                    throw new VolumeFormatException($"'{name}': space directions '{directionsText}' must give 3 vectors (multi-component data is not supported).");
                Vec3 ToRas(Vec3 v) => new(v.X * flip.X, v.Y * flip.Y, v.Z * flip.Z);
                Vec3 origin = header["space origin"] is { } o ? ToRas(NrrdHeader.ParseVector(o, name)) : new Vec3(0, 0, 0);
                return new VolumeGeometry(sizes[0], sizes[1], sizes[2],
                    ToRas(NrrdHeader.ParseVector(parts[0], name)), ToRas(NrrdHeader.ParseVector(parts[1], name)),
                    ToRas(NrrdHeader.ParseVector(parts[2], name)), origin);
            }
            var spacing = new Vec3(1, 1, 1);
            if (header["spacings"] is { } spacings)
            {
                double[] s = spacings.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v != 0 ? Math.Abs(v) : 1)
                    .ToArray();
                if (s.Length != 3) throw new VolumeFormatException($"'{name}': spacings '{spacings}' must have 3 values.");
                spacing = new Vec3(s[0], s[1], s[2]);
            }
            return VolumeGeometry.AxisAligned(sizes[0], sizes[1], sizes[2], spacing, new Vec3(0, 0, 0));
        }
        catch (ArgumentException ex)
        {
            throw new VolumeFormatException($"'{name}' has an invalid geometry: {ex.Message}", ex);
        }
    }

    private static int ParseInt(string text, string field, string name) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new VolumeFormatException($"'{name}': {field} '{text}' is not an integer.");
}
