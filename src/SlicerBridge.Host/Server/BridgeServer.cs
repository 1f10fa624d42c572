using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Host.Scheduling;
using SlicerBridge.Host.Streaming;
using SlicerBridge.Inference.Models;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Server;

/// <summary>What every session shares: volume cache, inference queue, model registry, limits, and the live session count.</summary>
public sealed class BridgeServer(VolumeCache cache, InferenceQueue queue, ModelRegistry models, IOptions<BridgeOptions> options,
    PrepareQueue? prepare = null, StreamRelay? relay = null)
{
    private int _sessions;

    public VolumeCache Cache { get; } = cache;
    public InferenceQueue Queue { get; } = queue;
    public ModelRegistry Models { get; } = models;
    /// <summary>Background warm-ups (e.g. a SAM-Med3D embedding as soon as an ROI is set).</summary>
    public PrepareQueue Prepare { get; } = prepare ?? new PrepareQueue();
    public BridgeOptions Options { get; } = options.Value;
    /// <summary>The live-stream relay (docs/live-2d.md); null where the host runs without one (some tests).</summary>
    public StreamRelay? Relay { get; } = relay;
    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>
    /// Which server this is, for GetStatus behind a load balancer: Server:InstanceName, else machine name and process id
    /// (two servers on one machine differ by the latter).
    /// </summary>
    public string InstanceName => Options.Server.InstanceName is { Length: > 0 } name ? name : $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary>Pixel buffers of received IMAGEs (large ones are not kept once returned; see <see cref="ReceiveBufferPool"/>).</summary>
    public ReceiveBufferPool PixelPool { get; } = new();

    public static string Version { get; } =
        typeof(BridgeServer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public IgtlReaderOptions ReaderOptions => new()
    {
        MaxBodyBytes = Options.Protocol.MaxBodyBytes,
        MaxNonImageBodyBytes = Options.Protocol.MaxNonImageBodyBytes,
        MaxMetadataEntries = Options.Protocol.MaxMetadataEntries,
        MaxMetadataBytes = Options.Protocol.MaxMetadataBytes,
        MaxImageDimension = Options.Protocol.MaxImageDimension,
        MaxImageVoxels = Options.Protocol.MaxImageVoxels,
        VerifyCrc = Options.Protocol.VerifyCrc,
        MessageReadTimeout = Seconds(Options.Server.MessageReadTimeoutSeconds),
        IdleTimeout = Seconds(Options.Server.IdleTimeoutSeconds),
    };

    private static TimeSpan? Seconds(double s) => s > 0 ? TimeSpan.FromSeconds(s) : null;

    internal void SessionOpened() => Interlocked.Increment(ref _sessions);
    internal void SessionClosed() => Interlocked.Decrement(ref _sessions);
}
