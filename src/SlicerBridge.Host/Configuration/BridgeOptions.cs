namespace SlicerBridge.Host.Configuration;

/// <summary>
/// The server configuration, bound from the configuration root: appsettings.json sections Server, Models, Cache,
/// Protocol, Scheduling; environment SLICERBRIDGE__Server__Port=...; command line --Server:Port=... .
/// </summary>
public sealed class BridgeOptions
{
    public ServerOptions Server { get; set; } = new();
    public ModelOptions Models { get; set; } = new();
    public CacheOptions Cache { get; set; } = new();
    public ProtocolLimitOptions Protocol { get; set; } = new();
    public SchedulingOptions Scheduling { get; set; } = new();
}

public sealed class ServerOptions
{
    public string BindAddress { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 18944;
    // Lists default to empty because the configuration binder appends to a list's initial items.
    /// <summary>Client networks allowed to connect, CIDR notation; empty = loopback only.</summary>
    public List<string> AllowedClients { get; set; } = [];

    public IReadOnlyList<string> EffectiveAllowedClients => AllowedClients.Count > 0 ? AllowedClients : ["127.0.0.0/8", "::1/128"];
    public int MaxClients { get; set; } = 64;
    /// <summary>Connections one client address may hold at once (loopback included); more are refused (logged).</summary>
    public int MaxClientsPerAddress { get; set; } = 16;
    /// <summary>Results per volume a session keeps for Undo; older ones go first.</summary>
    public int MaxUndoDepth { get; set; } = 32;
    /// <summary>Bytes of undo history (masks, model states) one session keeps over all its volumes; older results go first.</summary>
    public long MaxUndoBytes { get; set; } = 256L << 20;
    /// <summary>How long in-flight requests get to finish on shutdown before they are cancelled.</summary>
    public double ShutdownDeadlineSeconds { get; set; } = 5;
    /// <summary>
    /// Once a message has begun, the longest wait for more of it; past it the client is told STATUS TimeOut and the
    /// connection closes (a stalled sender would otherwise hold its buffers forever). 0 = no limit.
    /// </summary>
    public double MessageReadTimeoutSeconds { get; set; } = 30;
    /// <summary>
    /// The longest a connection may stay silent between messages; 0 = no limit (the default: Slicer keeps one connection
    /// open for a whole session and may send nothing for hours). Set it behind a load balancer that should reclaim idle clients.
    /// </summary>
    public double IdleTimeoutSeconds { get; set; }
    /// <summary>The longest a client may take no reply data (it stopped reading) before it is disconnected; 0 = no limit.</summary>
    public double WriteTimeoutSeconds { get; set; } = 30;
    /// <summary>
    /// Replies (labelmaps, STATUS, RTS_COMMAND) one connection may have waiting to be written; a client that stops reading
    /// until this fills is disconnected (logged), so it cannot make the server hold its results without bound.
    /// </summary>
    public long MaxReplyBytesInFlight { get; set; } = 256L << 20;
    /// <summary>Names this server in GetStatus ("host"); empty = the machine name and port.</summary>
    public string InstanceName { get; set; } = "";
}

public sealed class ModelOptions
{
    public string Default { get; set; } = "growcut";
    /// <summary>Models the server offers; empty = GrowCut only.</summary>
    public List<ModelEntryOptions> List { get; set; } = [];

    public IReadOnlyList<ModelEntryOptions> EffectiveList => List.Count > 0 ? List : [new() { Name = "growcut", Kind = "growcut" }];
    public long MemoryBudgetBytes { get; set; } = 8L << 30;
    /// <summary>Where models with weights run unless their entry says otherwise: auto | cpu | cuda[:N] | tensorrt[:N] | coreml.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Arithmetic precision of models with weights unless their entry says otherwise: fp32, or fp16 on GPUs.</summary>
    public string Precision { get; set; } = "fp32";

    /// <summary>The device an entry runs on: its own, else <see cref="Device"/>.</summary>
    public string DeviceOf(ModelEntryOptions entry) => string.IsNullOrWhiteSpace(entry.Device) ? Device : entry.Device;

    /// <summary>The precision of an entry: its own, else <see cref="Precision"/>.</summary>
    public string PrecisionOf(ModelEntryOptions entry) => string.IsNullOrWhiteSpace(entry.Precision) ? Precision : entry.Precision;
}

public sealed class ModelEntryOptions
{
    public string Name { get; set; } = "";
    public string Kind { get; set; } = "";
    public string? Checkpoint { get; set; }
    public string? Config { get; set; }
    /// <summary>auto | cpu | cuda[:N] | tensorrt[:N] | coreml; empty = Models:Device.</summary>
    public string? Device { get; set; }
    /// <summary>fp32 | fp16 (GPUs); empty = Models:Precision.</summary>
    public string? Precision { get; set; }
}

public sealed class CacheOptions
{
    /// <summary>Bytes of float32 voxels kept for received volumes.</summary>
    public long MemoryBudgetBytes { get; set; } = 4L << 30;
}

public sealed class ProtocolLimitOptions
{
    public long MaxBodyBytes { get; set; } = 1L << 30;
    /// <summary>Largest POINT / STRING / COMMAND / ... body; larger ones are skipped unbuffered and answered STATUS.</summary>
    public long MaxNonImageBodyBytes { get; set; } = 16L << 20;
    public int MaxMetadataEntries { get; set; } = 256;
    public int MaxMetadataBytes { get; set; } = 65535;
    public int MaxImageDimension { get; set; } = 4096;
    public long MaxImageVoxels { get; set; } = 512L * 1024 * 1024;
    public bool VerifyCrc { get; set; } = true;
}

public sealed class SchedulingOptions
{
    /// <summary>Concurrent segmentations; 0 = max(1, cores / 2).</summary>
    public int Parallelism { get; set; }
    /// <summary>Pending requests the queue holds before new ones are answered "busy".</summary>
    public int QueueCapacity { get; set; } = 64;

    public int EffectiveParallelism => Parallelism > 0 ? Parallelism : Math.Max(1, Environment.ProcessorCount / 2);
}
