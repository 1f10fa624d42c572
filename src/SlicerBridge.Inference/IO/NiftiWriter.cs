using System.Buffers.Binary;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.IO;

/// <summary>
/// Writes single-file NIfTI-1 (gzip-compressed when the name ends in .gz) with both an sform (the exact
/// IJK-to-RAS) and a qform (its rotation part as a quaternion; exact for non-sheared grids), codes 1 (scanner).
/// </summary>
public static class NiftiWriter
{
    private const int VoxOffset = NiftiReader.HeaderSize + 4; // header + empty extension flag

    public static void WriteMask(string path, ReadOnlySpan<byte> mask, VolumeGeometry geometry) =>
        Write(path, geometry, datatype: 2, bitsPerVoxel: 8, mask);

    public static void WriteFloat32(string path, Volume volume) =>
        Write(path, volume.Geometry, datatype: 16, bitsPerVoxel: 32, VoxelCodec.EncodeFloat32(volume.Voxels));

    private static void Write(string path, VolumeGeometry g, short datatype, short bitsPerVoxel, ReadOnlySpan<byte> data)
    {
        if (data.Length != g.VoxelCount * (bitsPerVoxel / 8))
            throw new ArgumentException($"Voxel data holds {data.Length} bytes, geometry {g} needs {g.VoxelCount * (bitsPerVoxel / 8)}.");
        if (g.SizeI > short.MaxValue || g.SizeJ > short.MaxValue || g.SizeK > short.MaxValue)
            throw new ArgumentException($"NIfTI-1 stores sizes as int16; {g.SizeI}x{g.SizeJ}x{g.SizeK} does not fit.");
        var file = new byte[VoxOffset + data.Length];
        Span<byte> h = file;
        BinaryPrimitives.WriteInt32LittleEndian(h, NiftiReader.HeaderSize);
        short[] dims = [3, (short)g.SizeI, (short)g.SizeJ, (short)g.SizeK, 1, 1, 1, 1];
        for (int d = 0; d < 8; d++) BinaryPrimitives.WriteInt16LittleEndian(h[(40 + 2 * d)..], dims[d]);
        BinaryPrimitives.WriteInt16LittleEndian(h[70..], datatype);
        BinaryPrimitives.WriteInt16LittleEndian(h[72..], bitsPerVoxel);

        var (quaternion, qfac) = Quaternion(g);
        Vec3 spacing = g.Spacing;
        float[] pixdim = [(float)qfac, (float)spacing.X, (float)spacing.Y, (float)spacing.Z, 0, 0, 0, 0];
        for (int d = 0; d < 8; d++) BinaryPrimitives.WriteSingleLittleEndian(h[(76 + 4 * d)..], pixdim[d]);
        BinaryPrimitives.WriteSingleLittleEndian(h[108..], VoxOffset);
        BinaryPrimitives.WriteSingleLittleEndian(h[112..], 1f); // scl_slope
        h[123] = 2; // xyzt_units: mm
        BinaryPrimitives.WriteInt16LittleEndian(h[252..], 1); // qform_code: scanner
        BinaryPrimitives.WriteInt16LittleEndian(h[254..], 1); // sform_code: scanner
        BinaryPrimitives.WriteSingleLittleEndian(h[256..], (float)quaternion.X);
        BinaryPrimitives.WriteSingleLittleEndian(h[260..], (float)quaternion.Y);
        BinaryPrimitives.WriteSingleLittleEndian(h[264..], (float)quaternion.Z);
        BinaryPrimitives.WriteSingleLittleEndian(h[268..], (float)g.Origin.X);
        BinaryPrimitives.WriteSingleLittleEndian(h[272..], (float)g.Origin.Y);
        BinaryPrimitives.WriteSingleLittleEndian(h[276..], (float)g.Origin.Z);
        ReadOnlySpan<double> m = g.IjkToRas;
        for (int n = 0; n < 12; n++) BinaryPrimitives.WriteSingleLittleEndian(h[(280 + 4 * n)..], (float)m[n]);
        "n+1\0"u8.CopyTo(h[344..]);
        data.CopyTo(h[VoxOffset..]);
        File.WriteAllBytes(path, path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? FileBytes.Gzip(file) : file);
    }

    /// <summary>Quaternion (b, c, d) with a ≥ 0 of the grid's unit axis directions, and qfac = -1 for a left-handed grid.</summary>
    internal static (Vec3 Bcd, double Qfac) Quaternion(VolumeGeometry g)
    {
        Vec3 x = g.ColumnI * (1 / g.ColumnI.Length), y = g.ColumnJ * (1 / g.ColumnJ.Length), z = g.ColumnK * (1 / g.ColumnK.Length);
        double qfac = x.Cross(y).Dot(z) < 0 ? -1 : 1;
        z *= qfac;
        // r[row, col]: columns are the axis directions.
        double r00 = x.X, r10 = x.Y, r20 = x.Z, r01 = y.X, r11 = y.Y, r21 = y.Z, r02 = z.X, r12 = z.Y, r22 = z.Z;
        double a, b, c, d, trace = r00 + r11 + r22;
        if (trace > 0)
        {
            double s = 2 * Math.Sqrt(trace + 1);
            a = s / 4; b = (r21 - r12) / s; c = (r02 - r20) / s; d = (r10 - r01) / s;
        }
        else if (r00 > r11 && r00 > r22)
        {
            double s = 2 * Math.Sqrt(1 + r00 - r11 - r22);
            a = (r21 - r12) / s; b = s / 4; c = (r01 + r10) / s; d = (r02 + r20) / s;
        }
        else if (r11 > r22)
        {
            double s = 2 * Math.Sqrt(1 + r11 - r00 - r22);
            a = (r02 - r20) / s; b = (r01 + r10) / s; c = s / 4; d = (r12 + r21) / s;
        }
        else
        {
            double s = 2 * Math.Sqrt(1 + r22 - r00 - r11);
            a = (r10 - r01) / s; b = (r02 + r20) / s; c = (r12 + r21) / s; d = s / 4;
        }
        if (a < 0) { b = -b; c = -c; d = -d; }
        return (new Vec3(b, c, d), qfac);
    }
}
