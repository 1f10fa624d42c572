namespace SlicerBridge.Host.Streaming;

/// <summary>
/// Hand-over from a frame source to the processing loop where only the newest frame matters: offering a frame while an
/// earlier one is still waiting replaces it and counts a drop; the loop takes whatever is newest when it is free. Frames
/// are never queued, so latency stays bounded by one processing time whatever the input rate.
/// </summary>
public sealed class LatestFrameSlot<T> where T : class
{
    private readonly object _gate = new();
    private T? _waiting;
    private TaskCompletionSource? _signal;
    private long _offered, _dropped;

    public long Offered { get { lock (_gate) return _offered; } }
    public long Dropped { get { lock (_gate) return _dropped; } }

    /// <summary>Puts a frame in the slot; returns the frame it replaced (dropped), if any.</summary>
    public T? Offer(T frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        TaskCompletionSource? wake;
        T? replaced;
        lock (_gate)
        {
            _offered++;
            replaced = _waiting;
            if (replaced is not null) _dropped++;
            _waiting = frame;
            (wake, _signal) = (_signal, null);
        }
        wake?.TrySetResult();
        return replaced;
    }

    /// <summary>The newest frame, waiting for one if the slot is empty.</summary>
    public async Task<T> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_waiting is { } frame)
                {
                    _waiting = null;
                    return frame;
                }
                _signal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _signal.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
