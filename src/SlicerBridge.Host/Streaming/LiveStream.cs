using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SlicerBridge.Host.Connections;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Models.SamMed2D.Pipeline;
using SlicerBridge.Inference.Models.SamMed2D.Tracking;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Streaming;

/// <summary>
/// The frames of one source device and the clients watching them. Frames go through a <see cref="LatestFrameSlot{T}"/>:
/// one loop takes the newest, encodes it once per model and runs each client's tracker on it, and sends each client the
/// frame as IMAGE <c>&lt;device[:16]&gt;</c> and its mask as IMAGE <c>&lt;device[:16]&gt;_seg</c> (uint8, same size,
/// IJK-to-RAS and timestamp) with metadata FrameIndex, DroppedFrames, LatencyMs, Score and Tracking. Frames that arrive
/// while the loop is busy replace the waiting one and are counted as dropped, never queued.
/// </summary>
internal sealed class LiveStream : IAsyncDisposable
{
    private sealed record Frame(ImageMessage Image, long Index, long ArrivedAt);

    private readonly LatestFrameSlot<Frame> _slot = new();
    private readonly List<StreamSubscription> _subscriptions = [];
    private readonly object _gate = new();
    private readonly StreamingOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _index;

    public LiveStream(string device, StreamingOptions options, ILogger logger)
    {
        Device = device;
        _options = options;
        _logger = logger;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public string Device { get; }
    public UpstreamFrameSource? Source { get; set; }
    public FrameRate Input { get; } = new();
    public FrameRate Output { get; } = new();
    public long Dropped => _slot.Dropped;
    public long Received => _slot.Offered;
    public double LastLatencyMs { get; private set; }

    public int SubscriberCount { get { lock (_gate) return _subscriptions.Count; } }

    public void Offer(ImageMessage image)
    {
        Input.Tick();
        var replaced = _slot.Offer(new Frame(image, Interlocked.Increment(ref _index), Stopwatch.GetTimestamp()));
        replaced?.Image.Dispose();
    }

    /// <summary>Adds (or replaces) a client's subscription; the previous one for the same client is released.</summary>
    public void Subscribe(StreamSubscription subscription)
    {
        StreamSubscription? old;
        lock (_gate)
        {
            old = _subscriptions.FirstOrDefault(s => ReferenceEquals(s.Subscriber, subscription.Subscriber));
            if (old is not null) _subscriptions.Remove(old);
            _subscriptions.Add(subscription);
        }
        old?.Dispose();
    }

    public bool Unsubscribe(IStreamSubscriber subscriber)
    {
        StreamSubscription? found;
        lock (_gate)
        {
            found = _subscriptions.FirstOrDefault(s => ReferenceEquals(s.Subscriber, subscriber));
            if (found is not null) _subscriptions.Remove(found);
        }
        found?.Dispose();
        return found is not null;
    }

    public StreamSubscription? Find(IStreamSubscriber subscriber)
    {
        lock (_gate) return _subscriptions.FirstOrDefault(s => ReferenceEquals(s.Subscriber, subscriber));
    }

    /// <summary>Sends a source TRANSFORM to every client of the stream.</summary>
    public async ValueTask RelayAsync(TransformMessage transform, CancellationToken cancellationToken)
    {
        foreach (var s in Snapshot()) await SendOrDropAsync(s, transform, cancellationToken).ConfigureAwait(false);
    }

    private StreamSubscription[] Snapshot()
    {
        lock (_gate) return [.. _subscriptions];
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Frame frame;
            try { frame = await _slot.TakeAsync(cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            using (frame.Image)
            {
                try { await ProcessAsync(frame, cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { break; }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                {
                    _logger.LogWarning("Stream {Device}: frame {FrameIndex} skipped: {Reason}", Device, frame.Index, ex.Message);
                }
            }
        }
    }

    private async Task ProcessAsync(Frame frame, CancellationToken cancellationToken)
    {
        var subscriptions = Snapshot();
        if (subscriptions.Length == 0) return;
        var image = frame.Image;
        if ((long)image.SizeI * image.SizeJ * image.SizeK > _options.MaxFramePixels)
            throw new ArgumentException($"{image.SizeI}x{image.SizeJ}x{image.SizeK} exceeds Streaming:MaxFramePixels.");
        var converted = ImageVolumeConverter.ToVolume(image);
        if (!converted.IsDone) throw new ArgumentException(converted.Message ?? "the IMAGE is not a volume the server accepts.");
        Volume volume = converted.Value!;
        if (volume.Geometry.SizeK != 1) throw new ArgumentException($"a live frame must have one slice, this one has {volume.Geometry.SizeK}.");
        int height = volume.Geometry.SizeJ, width = volume.Geometry.SizeI;
        byte[]? grey = null;
        var encoded = new Dictionary<SamMed2DPredictor, EncodedFrame>();
        foreach (var s in subscriptions)
        {
            s.ApplyPendingPrompt(volume.Geometry);
            TrackedFrame? tracked = null;
            if (s.Tracker.State == TrackingState.Tracking)
            {
                if (!encoded.TryGetValue(s.Predictor, out var e))
                    encoded[s.Predictor] = e = s.Predictor.EncodeGrey(grey ??= FrameIntensity.ToBytes(volume), height, width, cancellationToken);
                tracked = s.Tracker.Process(e, cancellationToken);
            }
            await SendFrameAsync(s, frame, tracked, s.Tracker.State, cancellationToken).ConfigureAwait(false);
        }
        Output.Tick();
    }

    private async Task SendFrameAsync(StreamSubscription s, Frame frame, TrackedFrame? tracked, TrackingState state, CancellationToken cancellationToken)
    {
        var image = frame.Image;
        string name = image.DeviceName.Length > 16 ? image.DeviceName[..16] : image.DeviceName;
        var ijkToRas = image.GetIjkToRas();
        using var copy = new ImageMessage(name, image.ScalarType, image.Components, image.SizeI, image.SizeJ, image.SizeK, image.Pixels, image.PixelEndianness)
        { Timestamp = image.Timestamp, HeaderVersion = 2 };
        copy.SetIjkToRas(ijkToRas);
        var mask = tracked?.Mask ?? new byte[image.SizeI * image.SizeJ];
        using var seg = new ImageMessage(name + "_seg", IgtlScalarType.UInt8, 1, image.SizeI, image.SizeJ, 1, mask) { Timestamp = image.Timestamp, HeaderVersion = 2 };
        seg.SetIjkToRas(ijkToRas);
        double latency = Stopwatch.GetElapsedTime(frame.ArrivedAt).TotalMilliseconds;
        LastLatencyMs = latency;
        foreach (var m in new[] { copy, seg })
        {
            m.Metadata.Set("FrameIndex", frame.Index.ToString(CultureInfo.InvariantCulture));
            m.Metadata.Set("DroppedFrames", _slot.Dropped.ToString(CultureInfo.InvariantCulture));
            m.Metadata.Set("LatencyMs", latency.ToString("0.0", CultureInfo.InvariantCulture));
            m.Metadata.Set("Score", (tracked?.Score ?? 0).ToString("0.####", CultureInfo.InvariantCulture));
            m.Metadata.Set("Tracking", state switch { TrackingState.Tracking => "Tracking", TrackingState.Lost => "Lost", _ => "WaitingForPrompt" });
            m.Metadata.Set("Model", s.ModelName);
        }
        if (await SendOrDropAsync(s, copy, cancellationToken).ConfigureAwait(false) && await SendOrDropAsync(s, seg, cancellationToken).ConfigureAwait(false))
            Interlocked.Increment(ref s.FramesSent);
    }

    /// <summary>A client whose send fails has left: its subscription ends, the stream goes on.</summary>
    private async ValueTask<bool> SendOrDropAsync(StreamSubscription s, IgtlMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await s.Subscriber.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
        catch (Exception ex)
        {
            _logger.LogInformation("Stream {Device}: client {Client} left ({Reason})", Device, s.Subscriber.Name, ex.Message);
            Unsubscribe(s.Subscriber);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        foreach (var s in Snapshot()) Unsubscribe(s.Subscriber);
        try { (await _slot.TakeAsync(new CancellationToken(true)).ConfigureAwait(false)).Image.Dispose(); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
