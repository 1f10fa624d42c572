using System.Globalization;
using System.Text;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.IO;

/// <summary>The fields of an NRRD header ("field: value" lines after the NRRD000X magic), keyed in lower case.</summary>
internal sealed class NrrdHeader
{
    private readonly Dictionary<string, string> _fields;

    private NrrdHeader(Dictionary<string, string> fields, int dataOffset)
    {
        _fields = fields;
        DataOffset = dataOffset;
    }

    /// <summary>Byte offset just past the blank line that ends the header (attached data starts here).</summary>
    public int DataOffset { get; }

    public string? this[string field] => _fields.TryGetValue(field, out var v) ? v : null;

    public string Required(string field, string name) =>
        this[field] ?? throw new VolumeFormatException($"'{name}': NRRD header lacks the required field '{field}'.");

    public static NrrdHeader Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 8 || !bytes[..4].SequenceEqual("NRRD"u8) || !char.IsAsciiDigit((char)bytes[4]))
            throw new VolumeFormatException($"'{name}' is not NRRD (bad magic; expected 'NRRD000X').");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        int position = 0;
        bool first = true;
        while (true)
        {
            int newline = bytes[position..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (position == bytes.Length) return new NrrdHeader(fields, position); // detached header without a trailing blank line
                newline = bytes.Length - position;
            }
            string line = Encoding.ASCII.GetString(bytes.Slice(position, newline)).TrimEnd('\r');
            position = Math.Min(bytes.Length, position + newline + 1);
            if (first) { first = false; continue; }
            if (line.Length == 0) return new NrrdHeader(fields, position);
            if (line.StartsWith('#')) continue;
            if (line.Contains(":=")) continue; // key/value pairs carry no geometry
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0) throw new VolumeFormatException($"'{name}': malformed NRRD header line '{Text.Clip(line)}'.");
            fields[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 2)..].Trim();
            if (position >= bytes.Length) return new NrrdHeader(fields, position);
        }
    }

    public static VoxelType ParseType(string type, string name) => type.Trim().ToLowerInvariant() switch
    {
        "uchar" or "unsigned char" or "uint8" or "uint8_t" => VoxelType.UInt8,
        "signed char" or "int8" or "int8_t" => VoxelType.Int8,
        "short" or "short int" or "signed short" or "signed short int" or "int16" or "int16_t" => VoxelType.Int16,
        "ushort" or "unsigned short" or "unsigned short int" or "uint16" or "uint16_t" => VoxelType.UInt16,
        "int" or "signed int" or "int32" or "int32_t" => VoxelType.Int32,
        "uint" or "unsigned int" or "uint32" or "uint32_t" => VoxelType.UInt32,
        "float" => VoxelType.Float32,
        "double" => VoxelType.Float64,
        _ => throw new VolumeFormatException($"'{name}': unsupported NRRD type '{Text.Clip(type)}'."),
    };

    /// <summary>Parses "(x,y,z)".</summary>
    public static Vec3 ParseVector(string text, string name)
    {
        string t = text.Trim();
        if (t.Length < 2 || t[0] != '(' || t[^1] != ')') throw new VolumeFormatException($"'{name}': '{Text.Clip(text)}' is not an NRRD vector '(x,y,z)'.");
        string[] parts = t[1..^1].Split(',');
        if (parts.Length != 3) throw new VolumeFormatException($"'{name}': vector '{Text.Clip(text)}' does not have 3 components (only 3-D spaces are supported).");
        var v = new double[3];
        for (int n = 0; n < 3; n++)
            if (!double.TryParse(parts[n], NumberStyles.Float, CultureInfo.InvariantCulture, out v[n]))
                throw new VolumeFormatException($"'{name}': '{Text.Clip(parts[n])}' in vector '{Text.Clip(text)}' is not a number.");
        return new Vec3(v[0], v[1], v[2]);
    }

    /// <summary>The sign flips that take a named 3-D space to RAS (x, y, z multipliers).</summary>
    public static Vec3 SpaceToRas(string space, string name) => space.Trim().ToLowerInvariant() switch
    {
        "right-anterior-superior" or "ras" => new Vec3(1, 1, 1),
        "left-anterior-superior" or "las" => new Vec3(-1, 1, 1),
        "left-posterior-superior" or "lps" => new Vec3(-1, -1, 1),
        _ => throw new VolumeFormatException($"'{name}': unsupported NRRD space '{Text.Clip(space)}' (supported: right-anterior-superior, left-anterior-superior, left-posterior-superior)."),
    };
}
