using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Streaming;

/// <summary>
/// The streaming relay (<c>serve --stream-from HOST:PORT</c>): one <see cref="UpstreamFrameSource"/> per configured
/// source, one <see cref="LiveStream"/> per IMAGE device seen, and the calls a server session makes for its client:
/// <see cref="Start"/> (COMMAND StartStream), <see cref="Reprompt"/> (a new POINT or ROI while streaming),
/// <see cref="Stop"/> (COMMAND StopStream, or the client leaving) and <see cref="Status"/> (GetStatus).
/// </summary>
public sealed class StreamRelay : IHostedService, IAsyncDisposable
{
    private readonly StreamingOptions _options;
    private readonly ModelRegistry _models;
    private readonly ILogger<StreamRelay> _logger;
    private readonly IgtlReaderOptions _readerOptions;
    private readonly Dictionary<string, LiveStream> _streams = new(StringComparer.Ordinal);
    private readonly List<(UpstreamFrameSource Source, Task Run)> _sources = [];
    private readonly object _gate = new();
    private CancellationTokenSource? _stop;
    private int _stopped, _disposed;

    public StreamRelay(IOptions<StreamingOptions> options, IOptions<BridgeOptions> bridge, ModelRegistry models, ILogger<StreamRelay> logger)
    {
        _options = options.Value;
        _models = models;
        _logger = logger;
        var p = bridge.Value.Protocol;
        _readerOptions = IgtlReaderOptions.Default with
        {
            MaxBodyBytes = p.MaxBodyBytes, MaxNonImageBodyBytes = p.MaxNonImageBodyBytes, MaxImageDimension = p.MaxImageDimension,
            MaxImageVoxels = p.MaxImageVoxels, VerifyCrc = p.VerifyCrc,
        };
    }

    /// <summary>The model a StartStream without "Model" uses (Streaming:DefaultModel).</summary>
    public string DefaultModel => _options.DefaultModel;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stop = new CancellationTokenSource();
        foreach (var text in _options.Sources.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var source = new UpstreamFrameSource(StreamEndpoint.Parse(text), _options, _readerOptions, OnMessageAsync, _logger);
            _sources.Add((source, Task.Run(() => source.RunAsync(_stop.Token))));
        }
        return Task.CompletedTask;
    }

    private async ValueTask OnMessageAsync(UpstreamFrameSource source, IgtlMessage message)
    {
        switch (message)
        {
            case ImageMessage image:
                if (StreamFor(image.DeviceName, source) is { } live) live.Offer(image);   // the stream owns it now
                else
                {
                    _logger.LogWarning("Frame source {Source}: IMAGE '{Device}' ignored, already following {MaxStreams} devices", source.Endpoint, image.DeviceName, _options.MaxStreams);
                    image.Dispose();
                }
                break;
            case TransformMessage transform:
                using (transform)
                    foreach (var stream in Streams().Where(s => ReferenceEquals(s.Source, source)))
                        await stream.RelayAsync(transform, _stop?.Token ?? default).ConfigureAwait(false);
                break;
            default:
                message.Dispose();
                break;
        }
    }

    private LiveStream? StreamFor(string device, UpstreamFrameSource? source)
    {
        lock (_gate)
        {
            if (!_streams.TryGetValue(device, out var stream))
            {
                if (_streams.Count >= _options.MaxStreams) return null;
                _streams[device] = stream = new LiveStream(device, _options, _logger);
            }
            if (source is not null) stream.Source = source;
            return stream;
        }
    }

    private LiveStream[] Streams()
    {
        lock (_gate) return [.. _streams.Values];
    }

    /// <summary>
    /// Starts (or re-prompts) <paramref name="subscriber"/>'s stream of the request's device with its box and points.
    /// Throws <see cref="ModelUnavailableException"/> or <see cref="ArgumentException"/> with the reason for a FAIL reply.
    /// The device need not have sent a frame yet (the source may start later).
    /// </summary>
    public void Start(StartStreamRequest request, IStreamSubscriber subscriber)
    {
        ArgumentNullException.ThrowIfNull(request);
        string modelName = request.Model ?? _options.DefaultModel;
        var lease = _models.Acquire(modelName);
        if (lease.Model is not SamMed2DModel sam)
        {
            lease.Dispose();
            throw new ArgumentException($"Model '{modelName}' cannot follow live frames; streams need a sam-med2d model.");
        }
        var subscription = new StreamSubscription(subscriber, modelName, lease, sam.Predictor, _options.Tracking);
        subscription.Prompt(request.Box, request.Points);
        var stream = StreamFor(request.Device, null);
        if (stream is null)
        {
            subscription.Dispose();
            throw new ArgumentException($"The server already follows {_options.MaxStreams} streams (Streaming:MaxStreams).");
        }
        foreach (var other in Streams().Where(s => s.Device != request.Device)) other.Unsubscribe(subscriber); // one stream per client
        stream.Subscribe(subscription);
        _logger.LogInformation("Client {Client} started stream {Device} with {Model}", subscriber.Name, request.Device, modelName);
    }

    /// <summary>A new prompt for the client's stream (a POINT or ROI while streaming); false when it has none.</summary>
    public bool Reprompt(IStreamSubscriber subscriber, RoiBox? box, IReadOnlyList<PromptPoint> points)
    {
        foreach (var stream in Streams())
            if (stream.Find(subscriber) is { } s)
            {
                s.Prompt(box, points);
                return true;
            }
        return false;
    }

    /// <summary>Ends the client's stream; false when it had none.</summary>
    public bool Stop(IStreamSubscriber subscriber) => Streams().Aggregate(false, (any, s) => s.Unsubscribe(subscriber) | any);

    /// <summary>Sources and streams for GetStatus: connection state, input and output frame rates, drops, latency, clients.</summary>
    public JsonObject Status() => new()
    {
        ["sources"] = new JsonArray([.. _sources.Select(s => (JsonNode)new JsonObject
        {
            ["address"] = s.Source.Endpoint.ToString(), ["connected"] = s.Source.Connected, ["connections"] = s.Source.Connections,
            ["lastError"] = s.Source.LastError,
        })]),
        ["streams"] = new JsonArray([.. Streams().Select(s => (JsonNode)new JsonObject
        {
            ["device"] = s.Device, ["source"] = s.Source?.Endpoint.ToString(), ["clients"] = s.SubscriberCount,
            ["framesReceived"] = s.Received, ["droppedFrames"] = s.Dropped,
            ["inputFps"] = Math.Round(s.Input.PerSecond, 2), ["outputFps"] = Math.Round(s.Output.PerSecond, 2),
            ["lastLatencyMs"] = Math.Round(s.LastLatencyMs, 1),
        })]),
    };

    /// <summary>Stops the sources and streams; idempotent (the host stops it, then the container disposes it, once per registration).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop is null || Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_sources.Select(s => s.Run)).WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var stream in Streams()) await stream.DisposeAsync().ConfigureAwait(false);
        lock (_gate) _streams.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _stop?.Dispose();
    }
}
