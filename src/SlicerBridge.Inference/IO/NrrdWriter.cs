using System.Globalization;
using System.Text;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.IO;

/// <summary>
/// Writes gzip-encoded NRRD in Slicer's convention (space left-posterior-superior): attached for .nrrd,
/// detached for .nhdr (data in NAME.raw.gz beside it).
/// </summary>
public static class NrrdWriter
{
    public static void WriteMask(string path, ReadOnlySpan<byte> mask, VolumeGeometry geometry)
    {
        if (mask.Length != geometry.VoxelCount)
            throw new ArgumentException($"Mask holds {mask.Length} bytes, geometry {geometry} needs {geometry.VoxelCount}.");
        Write(path, geometry, "uint8", mask);
    }

    public static void WriteFloat32(string path, Volume volume) =>
        Write(path, volume.Geometry, "float", VoxelCodec.EncodeFloat32(volume.Voxels));

    private static void Write(string path, VolumeGeometry g, string type, ReadOnlySpan<byte> data)
    {
        bool detached = path.EndsWith(".nhdr", StringComparison.OrdinalIgnoreCase);
        string dataName = Path.GetFileNameWithoutExtension(path) + ".raw.gz";
        static string Lps(Vec3 v) => string.Create(CultureInfo.InvariantCulture, $"({-v.X:R},{-v.Y:R},{v.Z:R})");
        var header = new StringBuilder();
        header.Append("NRRD0004\n# written by SlicerBridge\n");
        header.Append("type: ").Append(type).Append('\n');
        header.Append("dimension: 3\nspace: left-posterior-superior\n");
        header.Append(CultureInfo.InvariantCulture, $"sizes: {g.SizeI} {g.SizeJ} {g.SizeK}\n");
        header.Append($"space directions: {Lps(g.ColumnI)} {Lps(g.ColumnJ)} {Lps(g.ColumnK)}\n");
        header.Append("kinds: domain domain domain\nendian: little\nencoding: gzip\n");
        header.Append($"space origin: {Lps(g.Origin)}\n");
        if (detached) header.Append("data file: ").Append(dataName).Append('\n');
        header.Append('\n');
        byte[] headerBytes = Encoding.ASCII.GetBytes(header.ToString());
        byte[] compressed = FileBytes.Gzip(data);
        if (detached)
        {
            File.WriteAllBytes(path, headerBytes);
            File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, dataName), compressed);
        }
        else
        {
            using var file = File.Create(path);
            file.Write(headerBytes);
            file.Write(compressed);
        }
    }
}
