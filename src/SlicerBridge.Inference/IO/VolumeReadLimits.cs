namespace SlicerBridge.Inference.IO;

/// <summary>
/// Bounds on what a volume or array file may make the readers allocate and inflate. Both are checked against the
/// header before any voxel buffer is allocated; a compressed file is never inflated past its header and declared data.
/// </summary>
public sealed record VolumeReadLimits
{
    public static VolumeReadLimits Default { get; } = new();

    /// <summary>Voxels (array elements) in one volume: 2^29 by default, 2 GiB of float32 as every model sees them.</summary>
    public long MaxVoxels { get; init; } = 1L << 29;

    /// <summary>Bytes before the data: a NIfTI header with its extensions (vox_offset), an NRRD header, a skipped prefix.</summary>
    public int MaxHeaderBytes { get; init; } = 16 << 20;
}
