namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// Bounds on what an untrusted checkpoint may make the readers do. The defaults leave a wide margin over real
/// checkpoints (the test fixtures' <c>data.pkl</c> take 36–150 KB for 200–1,000 tensors, about 150 bytes a tensor)
/// and keep a hostile file's cost to a few hundred MB and seconds. docs/security.md lists them.
/// </summary>
public sealed record CheckpointLimits
{
    public static CheckpointLimits Default { get; } = new();

    /// <summary>Largest <c>data.pkl</c> (declared and inflated size).</summary>
    public long MaxPickleBytes { get; init; } = 32L << 20;

    /// <summary>Values the unpickler may push or memoize, and MARKs it may open, in all (each costs up to about 64 bytes).</summary>
    public long MaxPickleValues { get; init; } = 4_000_000;

    /// <summary>Nesting of dicts in the state dict.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Tensors in one checkpoint.</summary>
    public int MaxTensors { get; init; } = 65_536;

    /// <summary>Dict entries visited while flattening the state dict (shared sub-dicts are visited once per reference).</summary>
    public long MaxStateDictEntries { get; init; } = 4_000_000;

    /// <summary>Characters in one flattened tensor name.</summary>
    public int MaxNameLength { get; init; } = 1024;

    /// <summary>Entries in a zip archive's central directory.</summary>
    public int MaxZipEntries { get; init; } = 262_144;

    /// <summary>Bytes inflated from the archive in all: the pickle, every storage read (CRC checks read whole entries).</summary>
    public long MaxTotalInflatedBytes { get; init; } = 32L << 30;

    /// <summary>Largest safetensors JSON header (the format's own limit is 100 MB).</summary>
    public long MaxSafetensorsHeaderBytes { get; init; } = 100_000_000;
}
