namespace SlicerBridge.Protocol;

/// <summary>Limits enforced while reading, before anything is allocated for a message.</summary>
public sealed class IgtlReaderOptions
{
    /// <summary>Largest body accepted (default 1 GiB).</summary>
    public long MaxBodyBytes { get; set; } = 1L << 30;

    public int MaxMetadataEntries { get; set; } = 256;

    /// <summary>Largest metadata body (keys + values). The C++ library cannot read more than 65535.</summary>
    public int MaxMetadataBytes { get; set; } = ushort.MaxValue;

    /// <summary>Largest IMAGE size per axis (the wire field is uint16).</summary>
    public int MaxImageDimension { get; set; } = ushort.MaxValue;

    /// <summary>Largest IMAGE voxel count (default 2^30).</summary>
    public long MaxImageVoxels { get; set; } = 1L << 30;

    /// <summary>Verify each body's CRC-64 against the header (Slicer does by default).</summary>
    public bool VerifyCrc { get; set; } = true;

    public static IgtlReaderOptions Default { get; } = new();
}
