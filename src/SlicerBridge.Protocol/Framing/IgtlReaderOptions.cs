namespace SlicerBridge.Protocol;

/// <summary>Limits applied to incoming messages before any allocation, and CRC checking.</summary>
public sealed record IgtlReaderOptions
{
    public static IgtlReaderOptions Default { get; } = new();

    public long MaxBodyBytes { get; init; } = 1L << 30;
    /// <summary>
    /// Largest body accepted for a known non-IMAGE type (POINT, STRING, COMMAND, ...). A larger one is skipped as it
    /// arrives, without being buffered, and rejected; unknown types of any size up to <see cref="MaxBodyBytes"/> are
    /// skipped the same way.
    /// </summary>
    public long MaxNonImageBodyBytes { get; init; } = 16L << 20;
    public int MaxMetadataEntries { get; init; } = 256;
    public int MaxMetadataBytes { get; init; } = 65535;
    public int MaxImageDimension { get; init; } = 65535;
    public long MaxImageVoxels { get; init; } = 1L << 30;
    public bool VerifyCrc { get; init; } = true;
    /// <summary>Longest wait for more bytes once a message has begun (a stalled sender); null = no limit.</summary>
    public TimeSpan? MessageReadTimeout { get; init; }
    /// <summary>Longest wait for the first byte of the next message (a silent peer); null = no limit.</summary>
    public TimeSpan? IdleTimeout { get; init; }
}
