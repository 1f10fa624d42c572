using System.Threading.Channels;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Scheduling;

/// <summary>One warm-up: let a model prepare a volume and ROI before the first click (see <see cref="ISegmentationModel.Prepare"/>).</summary>
public sealed record PrepareRequest(string ModelName, Volume Volume, RoiBox? Roi, CancellationToken ClientToken);

/// <summary>
/// Warm-ups waiting for <see cref="PrepareWorkerService"/>. Bounded; when full the oldest request is dropped, since a
/// warm-up only saves time and a newer ROI matters more than an older one.
/// </summary>
public sealed class PrepareQueue
{
    private readonly Channel<PrepareRequest> _channel = Channel.CreateBounded<PrepareRequest>(
        new BoundedChannelOptions(8) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public ChannelReader<PrepareRequest> Reader => _channel.Reader;

    public void Post(PrepareRequest request) => _channel.Writer.TryWrite(request);
}
