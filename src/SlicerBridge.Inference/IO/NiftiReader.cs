using System.Buffers.Binary;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.IO;

/// <summary>
/// Reads single-file NIfTI-1 (.nii, .nii.gz) scalar 3-D volumes. Geometry as ITK/Slicer read it: the sform
/// when sform_code &gt; 0, else the qform quaternion when qform_code &gt; 0, else pixdim spacing on the axes.
/// NIfTI world coordinates are RAS already. scl_slope/scl_inter are applied when the slope is non-zero.
/// </summary>
public static class NiftiReader
{
    internal const int HeaderSize = 348;

    public static Volume Read(string path, VolumeReadLimits? limits = null)
    {
        limits ??= VolumeReadLimits.Default;
        string name = Path.GetFileName(path);
        using var file = VolumeStreams.OpenInput(path);
        using var stream = VolumeStreams.MaybeGunzip(file, out bool gzip);
        var header = new byte[HeaderSize];
        int got = VolumeStreams.ReadUpTo(stream, header, name);
        if (got < HeaderSize) throw new VolumeFormatException($"'{name}' is not NIfTI-1: {got} bytes, the header alone is 348.");
        var (geometry, type, bigEndian, voxOffset, slope, intercept) = ParseHeader(header, name, limits);

        long needed = geometry.VoxelCount * VoxelCodec.BytesPerVoxel(type); // ≤ MaxVoxels × 8, no overflow
        if (!gzip && file.Length - voxOffset < needed)
            throw new VolumeFormatException($"'{name}' is truncated: {geometry.VoxelCount} voxels of {type} need {needed} bytes after vox_offset {voxOffset}, the file holds {Math.Max(0, file.Length - voxOffset)}.");
        VolumeStreams.Skip(stream, voxOffset - HeaderSize, name, "the header extensions");
        float[] voxels = VoxelCodec.Read(stream, type, bigEndian, geometry.VoxelCount, name, slope, intercept);
        return new Volume(geometry, voxels, name, type);
    }

    /// <summary>Everything the 348-byte header says, checked: geometry, voxel type, byte order, data offset and scaling.</summary>
    private static (VolumeGeometry, VoxelType, bool BigEndian, long VoxOffset, double Slope, double Intercept) ParseHeader(
        ReadOnlySpan<byte> bytes, string name, VolumeReadLimits limits)
    {
        bool bigEndian;
        if (BinaryPrimitives.ReadInt32LittleEndian(bytes) == HeaderSize) bigEndian = false;
        else if (BinaryPrimitives.ReadInt32BigEndian(bytes) == HeaderSize) bigEndian = true;
        else throw new VolumeFormatException($"'{name}' is not NIfTI-1: sizeof_hdr is not 348 (NIfTI-2 and Analyze are not supported).");
        var h = new HeaderView(bytes, bigEndian);
        string magic = Text.Clip(System.Text.Encoding.ASCII.GetString(bytes.Slice(344, 3)));
        if (magic == "ni1") throw new VolumeFormatException($"'{name}' is a two-file NIfTI (.hdr/.img); only single-file .nii is supported.");
        if (magic != "n+1") throw new VolumeFormatException($"'{name}' has bad NIfTI magic '{magic}' (expected 'n+1').");

        int rank = h.Int16(40);
        if (rank < 1 || rank > 7) throw new VolumeFormatException($"'{name}': dim[0] = {rank}, must be 1..7.");
        var dims = new int[8];
        for (int d = 1; d <= 7; d++) dims[d] = d <= rank ? h.Int16(40 + 2 * d) : 1;
        for (int d = 4; d <= rank; d++)
            if (dims[d] > 1)
                throw new VolumeFormatException($"'{name}' has {rank} dimensions ({string.Join("x", dims[1..(rank + 1)])}); only 3-D scalar volumes are supported.");
        for (int d = 1; d <= 3; d++)
            if (dims[d] < 1) throw new VolumeFormatException($"'{name}': dim[{d}] = {dims[d]} is not positive.");
        VolumeStreams.CheckVoxelCount((long)dims[1] * dims[2] * dims[3], $"{dims[1]}x{dims[2]}x{dims[3]}", limits, name);

        short datatype = h.Int16(70);
        VoxelType type = datatype switch
        {
            2 => VoxelType.UInt8,
            4 => VoxelType.Int16,
            8 => VoxelType.Int32,
            16 => VoxelType.Float32,
            64 => VoxelType.Float64,
            256 => VoxelType.Int8,
            512 => VoxelType.UInt16,
            768 => VoxelType.UInt32,
            32 or 128 or 1792 or 2304 => throw new VolumeFormatException($"'{name}' has multi-component datatype {datatype} (complex/RGB); only scalar volumes are supported."),
            _ => throw new VolumeFormatException($"'{name}' has unsupported NIfTI datatype {datatype}."),
        };

        float voxOffset = h.Single(108);
        if (!float.IsFinite(voxOffset) || voxOffset < HeaderSize || voxOffset > limits.MaxHeaderBytes)
            throw new VolumeFormatException($"'{name}': vox_offset {voxOffset} is invalid (must be within {HeaderSize}..{limits.MaxHeaderBytes}).");
        double slope = h.Single(112), intercept = h.Single(116);
        if (slope == 0 || !double.IsFinite(slope) || !double.IsFinite(intercept)) { slope = 1; intercept = 0; }
        return (Geometry(h, dims, name), type, bigEndian, (long)voxOffset, slope, intercept);
    }

    private static VolumeGeometry Geometry(HeaderView h, int[] dims, string name)
    {
        short qformCode = h.Int16(252), sformCode = h.Int16(254);
        try
        {
            if (sformCode > 0)
            {
                Span<double> m = stackalloc double[12];
                for (int n = 0; n < 12; n++) m[n] = h.Single(280 + 4 * n);
                return VolumeGeometry.FromMatrix(dims[1], dims[2], dims[3], m);
            }
            double dx = h.Single(80), dy = h.Single(84), dz = h.Single(88);
            if (qformCode > 0)
            {
                double b = h.Single(256), c = h.Single(260), d = h.Single(264);
                double a = Math.Sqrt(Math.Max(0, 1 - (b * b + c * c + d * d)));
                double qfac = h.Single(76) < 0 ? -1 : 1;
                var columnI = new Vec3(a * a + b * b - c * c - d * d, 2 * (b * c + a * d), 2 * (b * d - a * c));
                var columnJ = new Vec3(2 * (b * c - a * d), a * a + c * c - b * b - d * d, 2 * (c * d + a * b));
                var columnK = new Vec3(2 * (b * d + a * c), 2 * (c * d - a * b), a * a + d * d - c * c - b * b);
                var origin = new Vec3(h.Single(268), h.Single(272), h.Single(276));
                return new VolumeGeometry(dims[1], dims[2], dims[3], columnI * Spacing(dx), columnJ * Spacing(dy), columnK * (Spacing(dz) * qfac), origin);
            }
            return VolumeGeometry.AxisAligned(dims[1], dims[2], dims[3], new Vec3(Spacing(dx), Spacing(dy), Spacing(dz)), new Vec3(0, 0, 0));
        }
        catch (ArgumentException ex)
        {
            throw new VolumeFormatException($"'{name}' has an invalid orientation: {ex.Message}", ex);
        }
    }

    // Analyze-era files may store 0 or negative pixdim; ITK uses the magnitude and 1 for 0.
    private static double Spacing(double pixdim) => pixdim == 0 || !double.IsFinite(pixdim) ? 1 : Math.Abs(pixdim);

    private readonly ref struct HeaderView(ReadOnlySpan<byte> bytes, bool bigEndian)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        public short Int16(int at) => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(_bytes[at..]) : BinaryPrimitives.ReadInt16LittleEndian(_bytes[at..]);
        public float Single(int at) => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(_bytes[at..]) : BinaryPrimitives.ReadSingleLittleEndian(_bytes[at..]);
    }
}
