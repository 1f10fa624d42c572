using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SlicerBridge.Inference.Volumes;

/// <summary>
/// A scalar 3D image in RAS: geometry plus voxel values stored as float32 (I fastest, then J, then K).
/// Every model works on float values; the original wire or file scalar type is kept for reference only.
/// </summary>
public sealed class Volume
{
    private const int HashSliceVoxels = 1 << 24;
    private string? _contentKey;

    public Volume(VolumeGeometry geometry, float[] voxels, string name = "", VoxelType sourceType = VoxelType.Float32)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(voxels);
        if (voxels.LongLength != geometry.VoxelCount)
            throw new ArgumentException($"Voxel buffer holds {voxels.LongLength} values, geometry {geometry} needs {geometry.VoxelCount}.");
        Geometry = geometry;
        Voxels = voxels;
        Name = name;
        SourceType = sourceType;
    }

    public VolumeGeometry Geometry { get; }
    public float[] Voxels { get; }
    public string Name { get; }
    public VoxelType SourceType { get; }

    public long SizeBytes => Voxels.LongLength * sizeof(float);

    public float this[int i, int j, int k] => Voxels[Geometry.Index(i, j, k)];

    /// <summary>
    /// A hash of the voxel values and the geometry: two volumes with the same key hold the same image,
    /// so anything expensive computed from one (an image embedding) can be reused for the other.
    /// </summary>
    public string ContentKey => _contentKey ??= ComputeContentKey();

    private string ComputeContentKey()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<int> size = [Geometry.SizeI, Geometry.SizeJ, Geometry.SizeK];
        hash.AppendData(MemoryMarshal.AsBytes(size));
        hash.AppendData(MemoryMarshal.AsBytes(Geometry.IjkToRas));
        // In slices: the bytes of 2^29 or more floats do not fit one span's int length.
        for (int start = 0; start < Voxels.Length; start += HashSliceVoxels)
            hash.AppendData(MemoryMarshal.AsBytes(Voxels.AsSpan(start, Math.Min(HashSliceVoxels, Voxels.Length - start))));
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}

/// <summary>Scalar type a volume arrived in (OpenIGTLink / NIfTI / NRRD), kept for reporting and round trips.</summary>
public enum VoxelType
{
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Float32,
    Float64,
}
